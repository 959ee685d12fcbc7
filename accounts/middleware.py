"""Session lifetimes for staff and CX users, and the caching and feature headers."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/cx/api/"
SIGNED_IN_AT = "accounts_signed_in_at"
LAST_SEEN = "accounts_last_seen"

# Features the site does not use; the browser refuses them to every frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def _limits(user) -> tuple[int, int]:
    """(absolute seconds, idle seconds) for this user's session."""
    if user.is_staff:
        return settings.STAFF_SESSION_MAX_AGE, settings.STAFF_SESSION_IDLE
    return settings.CLOUD_SESSION_MAX_AGE, settings.CLOUD_SESSION_IDLE


def start_session(sender, request, user, **kwargs):
    """On sign-in (signal ``user_logged_in``): the times the middleware checks, written with the
    session Django saves anyway, so the first page after sign-in writes nothing extra."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now
    request.session.set_expiry(_limits(user)[1])


class AccountSessionMiddleware:
    """Ends a session after its absolute lifetime and after its idle time.

    Staff: 8 hours and 1 hour idle; CX users: ``CLOUD_SESSION_MAX_AGE`` / ``CLOUD_SESSION_IDLE``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            max_age, idle = _limits(user)
            session = request.session
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            if now - signed_in_at > max_age or now - last_seen > idle:
                logout(request)
            else:
                # Written at most once a minute, so a busy session is not saved on every request.
                if now - last_seen >= 60 or LAST_SEEN not in session:
                    session[LAST_SEEN] = now
                    session.set_expiry(idle)
        return self.get_response(request)


class PrivateResponseMiddleware:
    """``Cache-Control: no-store`` on signed-in pages, file downloads and API responses;
    ``Permissions-Policy`` on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if (
            signed_in
            or isinstance(response, FileResponse)
            or request.path.startswith(API_PREFIX)
            or request.path.startswith("/admin/")
        ):
            add_never_cache_headers(response)
        return response


class SecondFactorMiddleware:
    """A signed-in staff member who has not passed the second factor reaches no admin page:
    without a confirmed device they are sent to enrolment, with one to the code step."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not user.is_verified()
            and request.path.startswith(reverse("admin:index"))
            and not request.path.startswith(reverse("accounts:verify"))
            and request.path != reverse("admin:logout")
        ):
            from .services import has_confirmed_device

            step = "accounts:verify" if has_confirmed_device(user=user) else "accounts:enrol"
            target = request.get_full_path() if request.method == "GET" else ""
            if not target or target.startswith(reverse("admin:login")):
                target = request.GET.get("next") or reverse("admin:index")
            return redirect(f"{reverse(step)}?{urlencode({'next': target})}")
        return self.get_response(request)
