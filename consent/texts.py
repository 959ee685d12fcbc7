"""The words a visitor reads before deciding, in one place, so a receipt's hash covers them.

The banner and the settings page render these texts; ``texts_hash(language)`` is the hash
of exactly these texts in that language, stored in every receipt as proof of what was shown.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from privacy.registry import Cookie, CookieCategory, LegalBasis, registry

from .state import optional_categories

BANNER_TITLE = _("Cookies und Besucherstatistik")
BANNER_INTRO = _(
    "Wir setzen notwendige Cookies ein, damit diese Website funktioniert. Mit Ihrer "
    "Einwilligung setzen wir zusätzlich Cookies für die folgenden Zwecke ein. Sie entscheiden "
    "frei: Die Website funktioniert in jedem Fall vollständig. Ihre Entscheidung können Sie "
    "jederzeit unter „Cookie-Einstellungen“ am Ende jeder Seite ändern oder widerrufen."
)
GPC_NOTE = _(
    "Ihr Browser sendet das Signal „Global Privacy Control“. Wir werten es als Ablehnung aller "
    "optionalen Cookies, bis Sie hier selbst anders entscheiden."
)
CATEGORY_DESCRIPTIONS: dict[str, Promise] = {
    CookieCategory.NECESSARY: _(
        "Für den Betrieb der Website unbedingt erforderlich: Schutz der Formulare und "
        "Speicherung Ihrer Cookie-Auswahl. Diese Cookies brauchen keine Einwilligung und "
        "lassen sich nicht abwählen."
    ),
    CookieCategory.STATISTICS: _(
        "Besucherstatistik mit Matomo auf unserem eigenen Server: welche Seiten wann und mit "
        "welchem Gerät aufgerufen werden, damit wir unser Angebot verbessern können. Die "
        "IP-Adresse wird gekürzt, es entstehen keine Nutzerprofile und nichts geht an Dritte."
    ),
}


@dataclass(frozen=True)
class Category:
    key: str
    label: str | Promise
    description: str | Promise
    cookies: tuple[Cookie, ...]
    optional: bool


def categories() -> list[Category]:
    """Every category with cookies, necessary first, as the banner and settings show them."""
    keys = [CookieCategory.NECESSARY.value, *optional_categories()]
    return [
        Category(
            key=key,
            label=CookieCategory(key).label,
            description=CATEGORY_DESCRIPTIONS[key],
            cookies=tuple(registry.cookies_in(key)),
            optional=key != CookieCategory.NECESSARY,
        )
        for key in keys
    ]


def shown_texts() -> dict:
    """The texts in the active language, as plain data (what is hashed)."""
    return {
        "title": str(BANNER_TITLE),
        "intro": str(BANNER_INTRO),
        "gpc": str(GPC_NOTE),
        "categories": [
            {
                "key": category.key,
                "label": str(category.label),
                "description": str(category.description),
                "cookies": [
                    {
                        "name": cookie.name,
                        "provider": str(cookie.provider),
                        "purpose": str(cookie.purpose),
                        "lifetime": cookie.lifetime_display,
                        "legal_basis": str(LegalBasis(cookie.legal_basis).label),
                    }
                    for cookie in category.cookies
                ],
            }
            for category in categories()
        ],
    }


@lru_cache(maxsize=8)
def texts_hash(language: str) -> str:
    with translation.override(language):
        canonical = json.dumps(shown_texts(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
