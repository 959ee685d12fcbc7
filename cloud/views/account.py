"""The signed-in user's pages: their organisations, their profile, joining by invitation."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import services as second_factor

from .. import forms
from ..access import SignedInRequest, login_url
from ..models import Membership
from ..services import invitations
from ..services.members import account_delete
from .common import cloud_account, form_errors_to_messages

INVITATION_SESSION_KEY = "cloud_invitation"


@login_required(login_url="cloud:login")
def organisations(request: SignedInRequest) -> HttpResponse:
    memberships = Membership.all_tenants.filter(user=request.user).select_related("organisation")
    return render(request, "cloud/organisations.html", {"memberships": memberships})


@login_required(login_url="cloud:login")
def profile(request: SignedInRequest) -> HttpResponse:
    account = cloud_account(request)
    form = forms.PasswordConfirmForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_delete(user=request.user)
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
        else:
            logout(request)
            messages.success(request, _("Ihr Konto wurde gelöscht."))
            return redirect(login_url())
    return render(
        request,
        "cloud/profile.html",
        {
            "account": account,
            "form": form,
            "has_second_factor": second_factor.has_confirmed_device(user=request.user),
            "backup_codes_left": second_factor.backup_codes_left(user=request.user),
        },
    )


def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """Move the link's token into the session, so it leaves the address bar and the history."""
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("cloud:invitation_accept")


def invitation_accept(request: HttpRequest) -> HttpResponse:
    try:
        invitation = invitations.invitation_from_token(
            request.session.get(INVITATION_SESSION_KEY, "")
        )
    except ValidationError as exc:
        return render(request, "cloud/invitation_invalid.html", {"error": exc.messages[0]})
    account_exists = get_user_model().objects.filter(username=invitation.email).exists()
    signed_in_as_invitee = request.user.is_authenticated and request.user.email == invitation.email
    if account_exists and not signed_in_as_invitee:
        messages.info(
            request, _("Sie haben schon ein Konto. Bitte melden Sie sich an, um beizutreten.")
        )
        return redirect_to_login(request.path, login_url())
    form = None if account_exists else forms.InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        user = invitations.invitation_accept(
            invitation=invitation,
            name=form.cleaned_data["name"] if form else "",
            password=form.cleaned_data["password"] if form else "",
            user=request.user if account_exists else None,
        )
        del request.session[INVITATION_SESSION_KEY]
        if not account_exists:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Willkommen bei %(name)s.") % {"name": invitation.organisation})
        return redirect("cloud:receipts", org=invitation.organisation.slug)
    return render(request, "cloud/invitation_accept.html", {"invitation": invitation, "form": form})
