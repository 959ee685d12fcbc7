"""The admin's second step: enrol an authenticator app, or enter a code."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from . import services
from .forms import SecondFactorForm


def _staff_only(request):
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("admin:index")


def _context(request, **extra):
    return {**admin.site.each_context(request), "next": _next_url(request), **extra}


@login_required(login_url="admin:login")
def verify(request):
    """Second step for a staff user with an authenticator: a TOTP or backup code."""
    _staff_only(request)
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not services.has_confirmed_device(user=request.user):
        return redirect(f"{reverse('accounts:enrol')}?next={_next_url(request)}")
    form = SecondFactorForm(
        request.POST or None,
        devices=services.confirmed_devices(user=request.user),
        request=request,
        limit_scope="admin-code",
    )
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        return redirect(_next_url(request))
    return render(
        request,
        "accounts/verify.html",
        _context(request, form=form, title=_("Zweiter Faktor")),
    )


@login_required(login_url="admin:login")
def enrol(request):
    """Enrolment: QR code and link for the app, then its first code confirms it."""
    _staff_only(request)
    if services.has_confirmed_device(user=request.user):
        return redirect(f"{reverse('accounts:verify')}?next={_next_url(request)}")
    device = services.totp_device_pending(user=request.user)
    form = SecondFactorForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid():
        codes = services.totp_device_confirm(device=device)
        otp_login(request, device)
        return render(
            request,
            "accounts/backup_codes.html",
            _context(request, codes=codes, title=_("Sicherungscodes")),
        )
    return render(
        request,
        "accounts/enrol.html",
        _context(
            request,
            form=form,
            title=_("Zweiten Faktor einrichten"),
            qr_svg=device.qr_svg(title=_("QR-Code für die Authenticator-App")),
            config_url=device.config_url,
            secret=device.secret_b32,
        ),
    )
