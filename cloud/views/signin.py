"""Signing in and out of the cloud, with the second factor and its backup codes."""

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import services as second_factor
from accounts.forms import SecondFactorForm

from .. import forms
from ..access import SignedInRequest, login_url, second_factor_passed
from ..models import Account
from .common import cloud_account, safe_next

PENDING_SESSION_KEY = "cloud_pending_user"


def sign_in(request: HttpRequest) -> HttpResponse:
    form = forms.SignInForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        next_url = safe_next(request, reverse("cloud:organisations"))
        if second_factor.has_confirmed_device(user=user):
            request.session.cycle_key()
            request.session[PENDING_SESSION_KEY] = user.pk
            return redirect(reverse("cloud:login_code") + "?" + urlencode({"next": next_url}))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url)
    return render(request, "cloud/sign_in.html", {"form": form})


def _code_form(request: HttpRequest, user) -> SecondFactorForm:
    return SecondFactorForm(
        request.POST or None,
        devices=second_factor.confirmed_devices(user=user),
        request=request,
        limit_scope="cx-code",
    )


def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the app or a backup code."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if pending is None:
        return redirect(login_url())
    account = Account.objects.select_related("user").filter(user_id=pending).first()
    if account is None:
        return redirect(login_url())
    form = _code_form(request, account.user)
    if request.method == "POST" and form.is_valid():
        del request.session[PENDING_SESSION_KEY]
        login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
        otp_login(request, form.device)
        return redirect(safe_next(request, reverse("cloud:organisations")))
    return render(
        request, "cloud/sign_in_code.html", {"form": form, "next": safe_next(request, "")}
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(login_url())


def _backup_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(
        request,
        "cloud/backup_codes.html",
        {"codes": codes, "next": safe_next(request, reverse("cloud:organisations"))},
    )


@login_required(login_url="cloud:login")
def second_factor_setup(request: SignedInRequest) -> HttpResponse:
    """Set up the second factor (QR code, then its first code and 10 backup codes shown once),
    or pass it for this session if it is set up already."""
    cloud_account(request)
    next_url = safe_next(request, reverse("cloud:organisations"))
    if second_factor_passed(request):
        return redirect(next_url)
    if second_factor.has_confirmed_device(user=request.user):
        form = _code_form(request, request.user)
        if request.method == "POST" and form.is_valid():
            otp_login(request, form.device)
            return redirect(next_url)
        return render(
            request, "cloud/second_factor.html", {"form": form, "next": safe_next(request, "")}
        )
    device = second_factor.totp_device_pending(user=request.user)
    form = SecondFactorForm(
        request.POST or None, devices=[device], request=request, limit_scope="cx-code"
    )
    if request.method == "POST" and form.is_valid():
        codes = second_factor.totp_device_confirm(device=device)
        otp_login(request, device)
        return _backup_codes_page(request, codes)
    return render(
        request,
        "cloud/second_factor.html",
        {
            "form": form,
            "next": safe_next(request, ""),
            "enrol": True,
            "qr_svg": device.qr_svg(title=_("QR-Code für die Authenticator-App")),
            "config_url": device.config_url,
            "secret": device.secret_b32,
        },
    )


@require_POST
@login_required(login_url="cloud:login")
def backup_codes_renew(request: SignedInRequest) -> HttpResponse:
    """New backup codes (the old ones stop working), only in a session that passed the factor."""
    if not second_factor_passed(request):
        return redirect(
            reverse("cloud:second_factor") + "?" + urlencode({"next": reverse("cloud:profile")})
        )
    codes = second_factor.backup_codes_create(user=request.user)
    return _backup_codes_page(request, codes)
