"""JSON API for the desktop accounting software (OPTIGEM Win-Finanz).

A bearer token names the organisation; the views run in its tenant scope like the pages, so
an id of another organisation is simply not found. Described by ``openapi.json``.
"""

from collections.abc import Callable
from datetime import UTC
from functools import wraps

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import services
from .models import Receipt
from .openapi import openapi_document
from .tenancy import Tenant, tenant_scope

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # far beyond any organisation's receipts; keeps SQL in range
MAX_ID = 2**63 - 1  # the largest key a bigint column holds


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def allow(method: str) -> Callable:
    """Only ``method`` (as ``require_GET``/``require_POST``, but answering in JSON)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, **kwargs) -> HttpResponse:
            if request.method != method:
                response = _error(405, _("Diese Methode ist hier nicht erlaubt."))
                response.headers["Allow"] = method
                return response
            return view(request, **kwargs)

        return wrapped

    return decorator


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Every address under the API that names nothing (a non-numeric id, a typo)."""
    return _error(404, _("Nicht gefunden."))


def token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, **kwargs) -> HttpResponse:
        scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
        token = services.api_token_authenticate(key.strip()) if scheme == "Bearer" else None
        if token is None:
            response = _error(401, _("Kein gültiger API-Schlüssel."))
            response.headers["WWW-Authenticate"] = 'Bearer realm="optigem-cx"'
            return response
        request.organisation = token.organisation
        if kwargs.get("pk", 0) > MAX_ID:
            return _error(404, _("Nicht gefunden."))
        with tenant_scope(Tenant(organisation=token.organisation)):
            try:
                return view(request, **kwargs)
            except Http404:
                return _error(404, _("Nicht gefunden."))

    return csrf_exempt(wrapped)


def _receipt_json(request: HttpRequest, receipt: Receipt) -> dict:
    return {
        "id": receipt.pk,
        "date": receipt.date.isoformat(),
        "amount": str(receipt.amount),
        "currency": receipt.currency,
        "purpose": receipt.purpose,
        "project": receipt.project.name if receipt.project else None,
        "status": receipt.status,
        "submitter": {"name": receipt.submitter_name, "email": receipt.submitter_email},
        "refund": {"method": receipt.refund_method, **receipt.refund_account},
        "approved_at": receipt.reviewed_at.isoformat() if receipt.reviewed_at else None,
        "refunded_at": receipt.refunded_at.isoformat() if receipt.refunded_at else None,
        "booked_at": receipt.booked_at.isoformat() if receipt.booked_at else None,
        "file": {
            "name": receipt.file_name,
            "content_type": receipt.content_type,
            "size": receipt.file_size,
            "url": request.build_absolute_uri(
                reverse("cloud:api_receipt_file", kwargs={"pk": receipt.pk})
            ),
        },
    }


@allow("GET")
@token_required
def receipts(request: HttpRequest) -> HttpResponse:
    since = None
    if raw := request.GET.get("since"):
        try:
            since = parse_datetime(raw)
        except ValueError:
            since = None
        try:
            # In UTC before it reaches the database, which knows fewer offsets than Python.
            since = since.astimezone(UTC) if since and since.tzinfo else None
        except OverflowError:
            since = None
        if since is None:
            return _error(400, _("„since“ muss ein Zeitpunkt nach ISO 8601 mit Zeitzone sein."))
    try:
        limit = min(int(request.GET.get("limit", 100)), MAX_LIMIT)
        offset = int(request.GET.get("offset", 0))
    except ValueError:
        return _error(400, _("„limit“ und „offset“ müssen ganze Zahlen sein."))
    if limit < 1 or not 0 <= offset <= MAX_OFFSET:
        return _error(
            400,
            _("„limit“ muss positiv sein und „offset“ zwischen 0 und %(max)s liegen.")
            % {"max": MAX_OFFSET},
        )
    rows = list(
        Receipt.objects.approved_since(since).select_related("project")[offset : offset + limit + 1]
    )
    return JsonResponse(
        {
            "receipts": [_receipt_json(request, r) for r in rows[:limit]],
            "has_more": len(rows) > limit,
        }
    )


@allow("GET")
@token_required
def receipt_file(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = get_object_or_404(Receipt.objects.approved_since(None), pk=pk)
    try:
        handle = receipt.file.open("rb")
    except FileNotFoundError:
        return _error(404, _("Nicht gefunden."))
    return FileResponse(
        handle,
        as_attachment=True,
        filename=receipt.file_name,
        content_type=receipt.content_type,
    )


@allow("POST")
@token_required
def receipt_booked(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = get_object_or_404(Receipt.objects.approved_since(None), pk=pk)
    if request.organisation.is_read_only:
        return _error(409, _("Die Organisation ist gekündigt; es sind keine Änderungen möglich."))
    services.receipt_mark_booked(receipt=receipt)
    return JsonResponse(_receipt_json(request, receipt))


@allow("GET")
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        openapi_document(server=request.build_absolute_uri(reverse("cloud:api_root")))
    )
