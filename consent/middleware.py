"""Consent applied to every HTML response: cookies without consent expire."""

import fnmatch
import re
from collections.abc import Callable
from functools import lru_cache

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from privacy.registry import CookieCategory, registry

from .services import expire_unconsented_cookies
from .state import get_consent


@lru_cache(maxsize=1)
def _optional_cookie_names() -> re.Pattern | None:
    """One expression for every cookie pattern that needs consent (the registry is fixed)."""
    patterns = [
        fnmatch.translate(cookie.name)
        for cookie in registry.cookies.values()
        if cookie.category != CookieCategory.NECESSARY
    ]
    return re.compile("|".join(patterns)) if patterns else None


def _optional_cookie_sent(request: HttpRequest) -> bool:
    pattern = _optional_cookie_names()
    return pattern is not None and any(pattern.match(name) for name in request.COOKIES)


class ConsentMiddleware:
    """On HTML responses: expires cookies without consent and says that the page varies with
    the consent cookie and Sec-GPC. The consent itself is read only when something asks for it
    (``get_consent(request)``, which keeps it as ``request.consent``). Matomo's origin is in the
    static ``SECURE_CSP``; its snippet appears only after consent. Responses that are not HTML
    are passed through untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        # What the page shows depends on the consent cookie and the GPC signal: tell caches.
        patch_vary_headers(response, ("Cookie", "Sec-GPC"))
        if _optional_cookie_sent(request):
            expire_unconsented_cookies(request, response, get_consent(request))
        return response
