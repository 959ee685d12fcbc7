"""The forms' per-client limit (privacy.ratelimit) with the contact settings.

The forms count only submissions that pass validation (a typo costs nothing); the guardian
page counts every POST.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render

from privacy.ratelimit import TOO_MANY_MESSAGE, bucket_key, client_over_limit

__all__ = ["TOO_MANY_MESSAGE", "bucket_key", "limit_headers", "over_limit", "rate_limited"]

SCOPE = "contact"


def over_limit(request) -> bool:
    """Count this request; True once the client exceeds CONTACT_RATE_LIMIT in the window."""
    return client_over_limit(
        request,
        scope=SCOPE,
        limit=settings.CONTACT_RATE_LIMIT,
        window=settings.CONTACT_RATE_LIMIT_WINDOW,
        cache_alias=settings.CONTACT_RATE_LIMIT_CACHE,
    )


def limit_headers(response):
    response["Retry-After"] = str(settings.CONTACT_RATE_LIMIT_WINDOW)
    return response


def rate_limited(view):
    """Answer POSTs beyond the limit with 429 and a German message; GETs are never limited."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and over_limit(request):
            return limit_headers(render(request, "contact/rate_limited.html", status=429))
        return view(request, *args, **kwargs)

    return wrapped
