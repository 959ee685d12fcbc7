"""Administration of an organisation: projects, members and invitations, API keys."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import forms
from ..access import TenantRequest, object_action, tenant_view
from ..models import ADMIN_ROLES, ApiToken, Invitation, Membership, Project, Role
from ..services import api_tokens, invitations
from ..services.members import membership_change_role, membership_remove
from .common import form_errors_to_messages


@tenant_view(ADMIN_ROLES)
def projects(request: TenantRequest) -> HttpResponse:
    form = forms.ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Project.objects.create(organisation=request.organisation, name=form.cleaned_data["name"])
        messages.success(request, _("Das Projekt wurde angelegt."))
        return redirect("cloud:projects", org=request.organisation.slug)
    return render(request, "cloud/projects.html", {"form": form, "projects": Project.objects.all()})


@tenant_view({Role.MAIN_ADMIN})
def members(request: TenantRequest) -> HttpResponse:
    form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitations.invitation_create(
            organisation=request.organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
        messages.success(request, _("Die Einladung wurde verschickt."))
        return redirect("cloud:members", org=request.organisation.slug)
    return render(
        request,
        "cloud/members.html",
        {
            "form": form,
            "memberships": Membership.objects.select_related("user", "user__cloud_account"),
            "invitations": Invitation.objects.filter(accepted_at__isnull=True),
            "role_choices": Role.choices,
        },
    )


def _change_then_members(
    request: TenantRequest, change: Callable[[], object], done: str
) -> HttpResponse:
    """Make a change to the members or invitations, say how it went, back to the members."""
    try:
        change()
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
    else:
        messages.success(request, done)
    return redirect("cloud:members", org=request.organisation.slug)


@tenant_view({Role.MAIN_ADMIN})
@object_action(Membership)
def member_role(request: TenantRequest, membership: Membership) -> HttpResponse:
    form = forms.RoleForm(request.POST)
    if not form.is_valid():
        return redirect("cloud:members", org=request.organisation.slug)
    return _change_then_members(
        request,
        lambda: membership_change_role(
            membership=membership, role=form.cleaned_data["role"], by=request.user
        ),
        _("Die Rolle wurde geändert."),
    )


@tenant_view({Role.MAIN_ADMIN})
@object_action(Invitation)
def invitation_revoke(request: TenantRequest, invitation: Invitation) -> HttpResponse:
    return _change_then_members(
        request,
        lambda: invitations.invitation_revoke(invitation=invitation, by=request.user),
        _("Die Einladung an %(email)s wurde zurückgezogen.") % {"email": invitation.email},
    )


@tenant_view({Role.MAIN_ADMIN})
@object_action(Invitation)
def invitation_resend(request: TenantRequest, invitation: Invitation) -> HttpResponse:
    return _change_then_members(
        request,
        lambda: invitations.invitation_resend(invitation=invitation),
        _("Die Einladung an %(email)s wurde erneut verschickt.") % {"email": invitation.email},
    )


@tenant_view({Role.MAIN_ADMIN})
@object_action(Membership)
def member_remove(request: TenantRequest, membership: Membership) -> HttpResponse:
    return _change_then_members(
        request,
        lambda: membership_remove(membership=membership),
        _("Das Mitglied wurde entfernt."),
    )


@tenant_view(ADMIN_ROLES)
def tokens(request: TenantRequest) -> HttpResponse:
    form = forms.ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = api_tokens.api_token_create(
            organisation=request.organisation, name=form.cleaned_data["name"]
        )
        form = forms.ApiTokenForm()
    return render(
        request,
        "cloud/tokens.html",
        {"form": form, "tokens": ApiToken.objects.all(), "new_key": new_key},
    )


@tenant_view(ADMIN_ROLES)
@object_action(ApiToken)
def token_revoke(request: TenantRequest, token: ApiToken) -> HttpResponse:
    api_tokens.api_token_revoke(token=token)
    messages.success(request, _("Der API-Schlüssel wurde widerrufen."))
    return redirect("cloud:tokens", org=request.organisation.slug)
