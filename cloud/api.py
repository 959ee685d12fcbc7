"""JSON API for the desktop accounting software (OPTIGEM Win-Finanz).

Declared once with django-ninja: the operations and schemas below produce both the responses
and the OpenAPI document served at ``openapi.json``. A bearer token names the organisation;
the operations run in its tenant scope like the pages, so an id of another organisation is
simply not found. Every error is ``{"error": "<German message>"}``, never HTML.
"""

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import Annotated, Literal

from django.db import InterfaceError, OperationalError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Path, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import AfterValidator, AwareDatetime, Field

from .models import ApiToken, Currency, Receipt, RefundMethod
from .services.api_tokens import api_token_authenticate
from .services.receipts import receipt_mark_booked
from .tenancy import Tenant, tenant_scope


class TokenRequest(HttpRequest):
    """An API request: ninja's bearer check puts the request's token on ``auth``."""

    auth: ApiToken


logger = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds, as the site's own outage page
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # far beyond any organisation's receipts; keeps SQL in range
MAX_ID = 2**63 - 1  # the largest key a bigint column holds
FILE_TYPES = ("application/pdf", "image/jpeg", "image/png")


class ErrorOut(Schema):
    error: str = Field(description="What went wrong, in German")


class SubmitterOut(Schema):
    name: str
    email: str = Field(description="Empty once the submitter's data has been erased")


class RefundOut(Schema):
    """PayPal address, or holder, IBAN and BIC of a bank account (empty once erased)."""

    method: RefundMethod
    paypal: str | None = None
    holder: str | None = None
    iban: str | None = None
    bic: str | None = None


class FileOut(Schema):
    name: str
    content_type: str
    size: int
    url: str = Field(json_schema_extra={"format": "uri"})


class ReceiptOut(Schema):
    id: int
    date: date
    amount: str = Field(description="Decimal with two places, e.g. 12.50")
    currency: Currency
    purpose: str
    project: str | None
    status: Literal["approved", "refunded"]
    submitter: SubmitterOut
    refund: RefundOut
    approved_at: datetime | None
    refunded_at: datetime | None
    booked_at: datetime | None
    file: FileOut

    @classmethod
    def of(cls, request: HttpRequest, receipt: Receipt) -> "ReceiptOut":
        return cls(
            id=receipt.pk,
            date=receipt.date,
            amount=str(receipt.amount),
            currency=Currency(receipt.currency),
            purpose=receipt.purpose,
            project=receipt.project.name if receipt.project else None,
            status="refunded" if receipt.status == "refunded" else "approved",
            submitter=SubmitterOut(name=receipt.submitter_name, email=receipt.submitter_email),
            refund=RefundOut(method=RefundMethod(receipt.refund_method), **receipt.refund_account),
            approved_at=receipt.reviewed_at,
            refunded_at=receipt.refunded_at,
            booked_at=receipt.booked_at,
            file=FileOut(
                name=receipt.file_name,
                content_type=receipt.content_type,
                size=receipt.file_size,
                url=request.build_absolute_uri(
                    reverse("cloud:api_receipt_file", kwargs={"pk": receipt.pk})
                ),
            ),
        )


class ReceiptPage(Schema):
    receipts: list[ReceiptOut]
    has_more: bool


def _in_utc(value: datetime) -> datetime:
    # In UTC before it reaches the database, which knows fewer offsets than Python.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the years 1 to 9999 in UTC") from None


Since = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class ApiKey(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(token.strip())


api = NinjaAPI(
    title="OPTIGEM CX Cloud API",
    version="1.0.0",
    description=(
        "Data exchange between OPTIGEM Win-Finanz and the OPTIGEM CX cloud. Every request "
        "carries an organisation's API key as a bearer token; only that organisation's "
        "receipts exist for it. Every error is a JSON object with a German `error` message."
    ),
    auth=ApiKey(),
    docs_url=None,
    openapi_url=None,
    urls_namespace="cloud-api",
)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: TokenRequest, exc: Exception) -> HttpResponse:
    response = _error(401, _("Kein gültiger API-Schlüssel."))
    response.headers["WWW-Authenticate"] = 'Bearer realm="optigem-cx"'
    return response


@api.exception_handler(Http404)
def _not_found(request: TokenRequest, exc: Exception) -> HttpResponse:
    return _error(404, _("Nicht gefunden."))


@api.exception_handler(ValidationError)
def _invalid(request: TokenRequest, exc: ValidationError) -> HttpResponse:
    # An id out of range (0, beyond a bigint) names nothing: not found, as a non-numeric one.
    if any(error["loc"][0] == "path" for error in exc.errors):
        return _error(404, _("Nicht gefunden."))
    names = sorted({str(error["loc"][-1]) for error in exc.errors})
    return _error(
        400,
        _("Ungültige Angabe für %(names)s; die erlaubten Werte nennt openapi.json.")
        % {"names": ", ".join(f"„{name}“" for name in names)},
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _unavailable(request: TokenRequest, exc: Exception) -> HttpResponse:
    logger.warning("cloud.api.database_unavailable %s", type(exc).__name__)
    response = _error(503, _("Der Dienst ist kurz nicht erreichbar; bitte erneut versuchen."))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


@api.exception_handler(HttpError)
def _http_error(request: TokenRequest, exc: HttpError) -> HttpResponse:
    return _error(exc.status_code, _("Die Anfrage konnte nicht bearbeitet werden."))


def _in_tenant_scope(operation: Callable[..., object]) -> Callable[..., object]:
    """Run the operation in the scope of the token's organisation."""

    @wraps(operation)
    def wrapped(request: TokenRequest, **kwargs):
        with tenant_scope(Tenant(organisation=request.auth.organisation)):
            return operation(request, **kwargs)

    return wrapped


_SINCE = "Only receipts approved at or after this time"
PK = Annotated[int, Path(ge=1, le=MAX_ID, description="The receipt's id")]
NOT_FOUND = {401: ErrorOut, 404: ErrorOut, 503: ErrorOut}


@api.get(
    "/receipts/",
    response={200: ReceiptPage, 400: ErrorOut, 401: ErrorOut, 503: ErrorOut},
    url_name="api_receipts",
    operation_id="listReceipts",
    summary="Approved receipts, oldest approval first",
)
@_in_tenant_scope
def receipts(
    request: TokenRequest,
    since: Annotated[Since | None, Query(description=_SINCE)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ReceiptPage:
    rows = list(
        Receipt.objects.approved_since(since).select_related("project")[offset : offset + limit + 1]
    )
    return ReceiptPage(
        receipts=[ReceiptOut.of(request, r) for r in rows[:limit]], has_more=len(rows) > limit
    )


@api.get(
    "/receipts/{int:pk}/file/",
    response=NOT_FOUND,
    url_name="api_receipt_file",
    operation_id="downloadReceiptFile",
    summary="The receipt's file (PDF, JPEG or PNG)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}} for t in FILE_TYPES
                },
            }
        }
    },
)
@_in_tenant_scope
def receipt_file(request: TokenRequest, pk: PK) -> FileResponse:
    receipt = get_object_or_404(Receipt.objects.approved_since(None), pk=pk)
    try:
        handle = receipt.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=receipt.file_name, content_type=receipt.content_type
    )


@api.post(
    "/receipts/{int:pk}/booked/",
    response={200: ReceiptOut, **NOT_FOUND, 409: ErrorOut},
    url_name="api_receipt_booked",
    operation_id="markReceiptBooked",
    summary="Mark the receipt as booked (idempotent)",
)
@_in_tenant_scope
def receipt_booked(request: TokenRequest, pk: PK) -> Status:
    receipt = get_object_or_404(Receipt.objects.approved_since(None), pk=pk)
    if request.auth.organisation.is_read_only:
        return Status(
            409,
            ErrorOut(error=_("Die Organisation ist gekündigt; es sind keine Änderungen möglich.")),
        )
    receipt_mark_booked(receipt=receipt)
    return Status(200, ReceiptOut.of(request, receipt))


def _json_answers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """JSON for the two answers ninja leaves to Django: a method no operation takes (plain
    text there) and a database that cannot be reached (the site's HTML 503 page there; the
    token is checked before ninja's own error handlers apply)."""

    @wraps(view)
    def wrapped(request: TokenRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            return _unavailable(request, exc)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response.headers["Allow"]
            response = _error(405, _("Diese Methode ist hier nicht erlaubt."))
            response.headers["Allow"] = allowed
        return response

    return wrapped


def urlpatterns(prefix: str) -> list[URLPattern]:
    """The operations' URLs under ``prefix``, named in the including app's namespace."""
    patterns, _app, _namespace = api.urls
    return [
        path(prefix + str(p.pattern), _json_answers(p.callback), name=p.name)
        for p in patterns
        if isinstance(p, URLPattern) and p.name != "api-root"
    ]


@csrf_exempt  # a POST to a wrong address is told so, not refused a CSRF cookie it never needs
def not_found(request: TokenRequest, rest: str = "") -> JsonResponse:
    """Every address under the API that names nothing (a non-numeric id, a typo)."""
    return _error(404, _("Nicht gefunden."))


@csrf_exempt
def openapi(request: TokenRequest) -> JsonResponse:
    """The document ninja builds from the declarations above, with this site as server."""
    if request.method != "GET":
        response = _error(405, _("Diese Methode ist hier nicht erlaubt."))
        response.headers["Allow"] = "GET"
        return response
    document = api.get_openapi_schema(path_prefix="")
    server = request.build_absolute_uri(reverse("cloud:api_root")).rstrip("/")
    return JsonResponse({**document, "servers": [{"url": server}]})
