"""Consent on every request: read lazily from the cookie, applied only to HTML responses."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

from privacy.registry import CookieCategory, registry

from .matomo import csp_with_matomo, matomo_config
from .services import expire_unconsented_cookies
from .state import read_consent


def _optional_cookie_sent(request: HttpRequest) -> bool:
    return any(
        (cookie := registry.cookie_for(name)) and cookie.category != CookieCategory.NECESSARY
        for name in request.COOKIES
    )


class ConsentMiddleware:
    """Sets ``request.consent``; on HTML responses expires cookies without consent and lets the
    Matomo host into the CSP when statistics are allowed.

    It must come after ContentSecurityPolicyMiddleware in MIDDLEWARE, so that its per-response
    CSP is what that middleware writes. Responses that are not HTML are passed through untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.consent = SimpleLazyObject(lambda: read_consent(request))
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        # What the page shows depends on the consent cookie and the GPC signal: tell caches.
        patch_vary_headers(response, ("Cookie", "Sec-GPC"))
        if _optional_cookie_sent(request):
            expire_unconsented_cookies(request, response, request.consent)
        config = matomo_config()
        if config and request.consent.allows(CookieCategory.STATISTICS):
            base = getattr(response, "_csp_config", None)
            response._csp_config = csp_with_matomo(config, base=base)
        return response
