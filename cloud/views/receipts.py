"""Receipts of an organisation: the list, handing one in, its page and file, review, dashboard."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from .. import forms, selectors
from ..access import TenantRequest, object_action, tenant_view
from ..models import REVIEW_ROLES, Receipt, Status
from ..services import receipts as receipt_services
from ..services import uploads
from .common import cloud_account, form_errors_to_messages

PAGE_SIZE = 50


def _open_file(receipt: Receipt):
    try:
        return receipt.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc


@tenant_view()
def receipts(request: TenantRequest) -> HttpResponse:
    queryset = Receipt.objects.select_related("project")
    status = request.GET.get("status")
    if status in Status.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request, "cloud/receipts.html", {"page": page, "statuses": Status.choices, "status": status}
    )


@tenant_view()
def receipt_new(request: TenantRequest) -> HttpResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.CLOUD_MAX_UPLOAD_BYTES + 65536:
        # Refused before Django reads the body; the form's own check covers the exact limit.
        return render(
            request,
            "cloud/receipt_new.html",
            {"form": forms.ReceiptForm(), "too_large": settings.CLOUD_MAX_UPLOAD_BYTES // 2**20},
            status=413,
        )
    membership = request.membership
    kept = uploads.pending_upload_find(
        token=request.POST.get("kept_file", ""), membership=membership
    )
    form = forms.ReceiptForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "submitter_name": cloud_account(request).name,
            "submitter_email": request.user.email,
        },
        kept=kept,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            receipt = receipt_services.receipt_submit(
                membership=membership,
                data=form.cleaned_data,
                upload=upload,
                kind=form.kind,
                refund_account=receipt_services.refund_account_from(form.cleaned_data),
            )
        finally:
            if form.used_kept:
                upload.close()
        # The receipt holds its own copy now; a kept upload (used or replaced) goes.
        uploads.pending_upload_discard(pending=kept)
        messages.success(request, _("Ihr Beleg wurde eingereicht."))
        return redirect("cloud:receipt", org=request.organisation.slug, pk=receipt.pk)
    if request.method == "POST" and form.kind and not form.used_kept:
        # The file passed its checks but another field did not: keep it for the next attempt.
        uploads.pending_upload_discard(pending=kept)
        kept = uploads.pending_upload_keep(
            upload=form.cleaned_data["file"], kind=form.kind, membership=membership
        )
    return render(request, "cloud/receipt_new.html", {"form": form, "kept": kept})


@tenant_view()
def receipt_detail(request: TenantRequest, pk: int) -> HttpResponse:
    receipt = get_object_or_404(Receipt.objects.select_related("project"), pk=pk)
    return render(
        request,
        "cloud/receipt_detail.html",
        {
            "receipt": receipt,
            "review_form": forms.ReviewForm(),
            "can_review": request.membership.can_review,
            "four_eyes": receipt_services.four_eyes_refusal(receipt=receipt, user=request.user),
        },
    )


@tenant_view()
def receipt_file(request: TenantRequest, pk: int) -> FileResponse:
    receipt = get_object_or_404(Receipt.objects, pk=pk)
    response = FileResponse(
        _open_file(receipt),
        as_attachment=True,
        filename=receipt.file_name,
        content_type=receipt.content_type,
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@tenant_view(REVIEW_ROLES)
@object_action(Receipt)
def receipt_review(request: TenantRequest, receipt: Receipt) -> HttpResponse:
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            receipt_services.receipt_review(
                receipt=receipt,
                reviewer=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Die Prüfung wurde gespeichert."))
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
    else:
        return render(
            request,
            "cloud/receipt_detail.html",
            {"receipt": receipt, "review_form": form, "can_review": True},
            status=400,
        )
    return redirect("cloud:receipt", org=request.organisation.slug, pk=receipt.pk)


@tenant_view(REVIEW_ROLES)
@object_action(Receipt)
def receipt_refunded(request: TenantRequest, receipt: Receipt) -> HttpResponse:
    try:
        receipt_services.receipt_mark_refunded(receipt=receipt, by=request.user)
        messages.success(request, _("Der Beleg ist als erstattet markiert."))
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
    return redirect("cloud:receipt", org=request.organisation.slug, pk=receipt.pk)


@tenant_view(REVIEW_ROLES)
def dashboard(request: TenantRequest) -> HttpResponse:
    return render(request, "cloud/dashboard.html", {"totals": selectors.dashboard_totals()})
