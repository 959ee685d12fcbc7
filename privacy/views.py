from django.conf import settings
from django.shortcuts import render
from django.utils.translation import get_language

from .models import PolicyVersion
from .registry import CookieCategory, LegalBasis, registry


def home(request):
    return render(request, "privacy/home.html")


def policy(request):
    """The privacy policy; its lists and tables come from the registry."""
    activities = sorted(registry.activities.values(), key=lambda a: (str(a.policy_section), a.key))
    context = {
        "version": PolicyVersion.objects.current(),
        "registry_hash": registry.content_hash(),
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
    }
    language = "en" if get_language() == "en" else "de"
    return render(request, f"privacy/policy_{language}.html", context)


def imprint(request):
    language = "en" if get_language() == "en" else "de"
    return render(request, f"privacy/imprint_{language}.html", {"dpo": settings.DPO})
