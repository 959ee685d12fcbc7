"""The transparency notice above each submit button, rendered from the form's registry entry."""

from privacy.registry import LegalBasis, registry

from .models import Kind

ACTIVITY_FOR_KIND: dict[str, str] = {
    Kind.CONTACT: "contact-request",
    Kind.SUPPORT: "support-request",
    Kind.TRAINING: "training-registration",
}


def _entry(key: str) -> dict:
    activity = registry.activities[key]
    return {
        "activity": activity,
        "legal_basis": [LegalBasis(code).label for code in activity.legal_basis],
        "rules": activity.retention_rules,
    }


def notice_for(kind: str, *, captcha: bool) -> dict:
    """The form's activity and, when hCaptcha runs on the page, hCaptcha's own entry."""
    return {
        "form": _entry(ACTIVITY_FOR_KIND[kind]),
        "captcha": _entry("hcaptcha") if captcha else None,
    }
