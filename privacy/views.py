from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseForbidden
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import pagecache
from .models import PolicyVersion
from .registry import AO_147, HGB_257, CookieCategory, LegalBasis, registry


def home(request):
    return render(request, "privacy/home.html")


def policy(request):
    """The privacy policy; its lists and tables come from the registry.

    Its text is rendered once per version, language and registry content (privacy.pagecache);
    base.html around it is rendered per request.
    """
    version = PolicyVersion.objects.current()
    language = "en" if get_language() == "en" else "de"
    key = pagecache.policy_key(language=language, version=version)
    body = pagecache.bodies.get(key)
    context = {"cache_key": key, "cached_body": body}
    if body is None:
        context |= policy_facts(version)
    return render(request, f"privacy/policy_{language}.html", context)


def policy_facts(version: PolicyVersion | None) -> dict:
    activities = sorted(registry.activities.values(), key=lambda a: (str(a.policy_section), a.key))
    return {
        "version": version,
        "registry_hash": pagecache.registry_digest(),
        "activities": [
            {
                "activity": activity,
                "legal_basis": [LegalBasis(code).label for code in activity.legal_basis],
            }
            for activity in activities
        ],
        "cookie_groups": [
            (category.label, registry.cookies_in(category.value)) for category in CookieCategory
        ],
        "legal_bases": {code: LegalBasis(code).label for code in LegalBasis.values},
        "dpo": settings.DPO,
        "retention": retention_items(activities),
        "statistics_cookies": registry.cookies_in(CookieCategory.STATISTICS),
        "pupil_confirmation": registry.periods.get("guardian-confirmation"),
        "consent_validity": registry.periods.get("consent-validity"),
        "hgb": HGB_257,
        "ao": AO_147,
    }


def retention_items(activities) -> list[dict]:
    """The retention rules for § 3, each wording once, with the activities it applies to.

    Contact, support and training share rules (a pupil's unconfirmed request, for one): the
    policy states each rule once and names every form it covers.
    """
    items: dict[tuple, dict] = {}
    for activity in activities:
        for rule in activity.retention_rules:
            item = items.setdefault(
                (str(rule.description), rule.statutory),
                {"names": [], "description": rule.description, "statutory": rule.statutory},
            )
            if str(activity.name) not in item["names"]:
                item["names"].append(str(activity.name))
    return list(items.values())


def imprint_facts(controller: dict) -> dict[str, str]:
    """The § 5 DDG data of a GmbH from settings.CONTROLLER; empty where not configured.

    The register is ``register_court`` with ``register_number`` where those are set, else the
    older single ``register`` value. Nothing is invented: an empty value stays empty.
    """
    court = (controller.get("register_court") or "").strip()
    number = (controller.get("register_number") or "").strip()
    register = ", ".join(part for part in (court, number) if part)
    return {
        "managing_directors": (controller.get("managing_directors") or "").strip(),
        "register": register or (controller.get("register") or "").strip(),
        "vat_id": (controller.get("vat_id") or "").strip(),
    }


def imprint(request):
    language = "en" if get_language() == "en" else "de"
    return render(
        request,
        f"privacy/imprint_{language}.html",
        {"dpo": settings.DPO, "ddg": imprint_facts(settings.CONTROLLER)},
    )


def permission_denied(request, exception=None):
    """403: inside the admin, the admin's own page (header, navigation); elsewhere the site's."""
    match = getattr(request, "resolver_match", None)
    in_admin = match is not None and "admin" in match.app_names
    try:
        if in_admin and request.user.is_authenticated:
            context = {**admin.site.each_context(request), "title": _("Kein Zugriff")}
            return render(request, "admin/403.html", context, status=403)
        return render(request, "errors/403.html", status=403)
    except NoReverseMatch:  # a URLconf without the site's pages (some tests)
        return HttpResponseForbidden(format_html("<h1>{}</h1>", _("Kein Zugriff")))
