"""Template tags for base.html: the consent banner and the scripts that depend on consent.

Both render their template once per language and variant and keep the HTML: the texts come
from the registry and the catalogues, which do not change while the process runs. Only the
per-request values (the page to return to, the CSP nonce) are put in afterwards,
so the banner costs a dictionary lookup instead of a template rendering on every page.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from privacy.registry import CookieCategory, LegalBasis

from ..matomo import MatomoConfig, matomo_config
from ..state import get_consent
from ..texts import BANNER_INTRO, BANNER_TITLE, GPC_NOTE, categories

register = template.Library()

# Placeholders that cannot occur in the texts; replaced by the escaped per-request values.
NEXT_SLOT = "\x00next\x00"
NONCE_SLOT = "\x00nonce\x00"

_rendered: dict[tuple, str] = {}


# Pages a visitor needs to read to decide (or to finish what a mail link started): there the
# banner stays in the page flow and never becomes a modal dialog.
NON_BLOCKING_VIEWS = frozenset(
    {
        "privacy:policy",
        "privacy:imprint",
        "contact:guardian",
        "newsletter:confirm",
        "newsletter:unsubscribe",
        "newsletter:customer_optout",
    }
)


def _banner_html(language: str | None, gpc: bool, modal: bool) -> str:
    key = ("banner", language, gpc, modal)
    if key not in _rendered:
        _rendered[key] = render_to_string(
            "consent/banner.html",
            {
                "categories": [c for c in categories() if c.optional],
                "title": BANNER_TITLE,
                "intro": BANNER_INTRO,
                "gpc_note": GPC_NOTE if gpc else "",
                "next": NEXT_SLOT,
                "modal": modal,
            },
        )
    return _rendered[key]


def _scripts_html(script_url: str, statistics: bool, matomo: MatomoConfig | None, secure: bool):
    key = ("scripts", script_url, statistics, matomo, secure)
    if key not in _rendered:
        _rendered[key] = render_to_string(
            "consent/scripts.html",
            {
                "script_url": script_url,
                "statistics": statistics,
                "matomo": matomo,
                "secure": secure,
                "csp_nonce": NONCE_SLOT,
            },
        )
    return _rendered[key]


@lru_cache(maxsize=4)
def _script_url(static_url: str) -> str:
    return static("consent/consent.js")


@register.simple_tag(takes_context=True)
def consent_banner(context: template.Context) -> SafeString:
    """The first-layer banner, rendered by the server while the visitor has not decided."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return mark_safe("")
    consent = get_consent(request)
    if not consent.needs_decision:
        return mark_safe("")
    match = getattr(request, "resolver_match", None)
    modal = not (match and match.view_name in NON_BLOCKING_VIEWS)
    html = _banner_html(get_language(), consent.gpc_applies, modal)
    return mark_safe(html.replace(NEXT_SLOT, escape(request.get_full_path())))


@register.simple_tag(takes_context=True)
def consent_scripts(context: template.Context) -> SafeString:
    """The banner script on every page; the Matomo snippet only after statistics consent."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return mark_safe("")
    statistics = get_consent(request).allows(CookieCategory.STATISTICS)
    matomo = matomo_config() if statistics else None
    html = _scripts_html(_script_url(settings.STATIC_URL), statistics, matomo, request.is_secure())
    if matomo:
        # A LazyNonce is falsy until first read: reading it here puts it into the CSP header.
        nonce = context.get("csp_nonce")
        html = html.replace(NONCE_SLOT, escape(str(nonce) if nonce is not None else ""))
    return mark_safe(html)


@register.filter
def legal_basis(code: str) -> str:
    return str(LegalBasis(code).label)
