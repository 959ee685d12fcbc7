"""A request caught while the database restarts gets a 503 that asks to try again.

Django would answer an ``OperationalError`` or ``InterfaceError`` (PostgreSQL restarting,
a connection cut) with its 500 page. Such an error is transient: the next request gets a
fresh, health-checked connection (``CONN_HEALTH_CHECKS``). So this middleware answers it
with 503 and ``Retry-After``, and a form POST comes back as a form holding what the visitor
typed, to be sent again with one click. Nothing of the submission is stored or logged.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Not echoed back into the page: a fresh CSRF token is set, a captcha answer is single-use,
# and secrets should not reappear in the HTML.
NOT_RESUBMITTED = {"csrfmiddlewaretoken", "h-captcha-response"}
SECRET_PARTS = ("password", "otp")


def resubmittable_fields(request) -> list[tuple[str, str]]:
    """The POSTed fields to put back into the retry form (files and secrets left out)."""
    if request.method != "POST":
        return []
    return [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_RESUBMITTED and not any(part in name.lower() for part in SECRET_PARTS)
        for value in values
    ]


class DatabaseOutageMiddleware:
    """Turn a database connection error into a short bilingual 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable, answered 503: %s", type(exception).__name__)
        fields = resubmittable_fields(request)
        body = render_to_string(
            "503.html",
            {
                "fields": fields,
                "is_post": request.method == "POST" and bool(fields),
                "action": request.get_full_path(),
                "csrf_token": get_token(request),
                "retry_after": RETRY_AFTER_SECONDS,
            },
        )
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
