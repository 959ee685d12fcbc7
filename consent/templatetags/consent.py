"""Template tags for base.html: the consent banner and the scripts that depend on consent."""

from django import template

from privacy.registry import CookieCategory, LegalBasis

from ..matomo import matomo_config
from ..state import get_consent
from ..texts import BANNER_INTRO, BANNER_TITLE, GPC_NOTE, categories

register = template.Library()


@register.inclusion_tag("consent/banner.html", takes_context=True)
def consent_banner(context: template.Context) -> dict:
    """The first-layer banner, rendered by the server while the visitor has not decided."""
    request = context.get("request")
    if request is None:
        return {"show": False}
    consent = get_consent(request)
    return {
        "show": consent.needs_decision,
        "consent": consent,
        "categories": [c for c in categories() if c.optional],
        "title": BANNER_TITLE,
        "intro": BANNER_INTRO,
        "gpc_note": GPC_NOTE,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("consent/scripts.html", takes_context=True)
def consent_scripts(context: template.Context) -> dict:
    """The banner script on every page; the Matomo snippet only after statistics consent."""
    request = context.get("request")
    if request is None:
        return {}
    statistics = get_consent(request).allows(CookieCategory.STATISTICS)
    return {
        "request": request,
        "csp_nonce": context.get("csp_nonce"),
        "statistics": statistics,
        "matomo": matomo_config() if statistics else None,
    }


@register.filter
def legal_basis(code: str) -> str:
    return LegalBasis(code).label
