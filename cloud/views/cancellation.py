"""Leaving the service: the export of all receipts and the cancellation (and its withdrawal)."""

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import export as cloud_export
from .. import forms
from ..access import TenantRequest, tenant_view
from ..models import ADMIN_ROLES, Role
from ..services import organisations


@tenant_view(ADMIN_ROLES)
def export(request: TenantRequest) -> StreamingHttpResponse:
    """All the organisation's receipts as CSV plus their files, one streamed ZIP (GET, so it
    works while the organisation is read-only after cancellation)."""
    organisation = request.organisation
    response = StreamingHttpResponse(
        cloud_export.organisation_export(organisation=organisation),
        content_type="application/zip",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{cloud_export.export_filename(organisation)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@tenant_view({Role.MAIN_ADMIN}, allow_read_only=True)
def cancellation(request: TenantRequest) -> HttpResponse:
    organisation = request.organisation
    form = forms.ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if organisation.is_read_only:
            organisations.organisation_withdraw_cancellation(organisation=organisation)
            messages.success(request, _("Die Kündigung wurde zurückgenommen."))
        else:
            organisations.organisation_cancel(organisation=organisation)
            messages.success(request, _("Der Dienst ist gekündigt."))
        return redirect("cloud:cancellation", org=organisation.slug)
    return render(request, "cloud/cancellation.html", {"form": form, "organisation": organisation})
