from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from .models import PolicyVersion
from .registry import registry

# The day the policy's text (privacy/templates/privacy/policy_*.html) last changed: a version
# published without a date of its own (the demo's first one) carries it, not the day of setup.
POLICY_TEXT_CHANGED_ON = date(2026, 12, 2)


@transaction.atomic
def policy_publish(
    *, summary: str, changed_on: date | None = None, now: datetime | None = None
) -> PolicyVersion:
    """Publish a new version of the policy, bound to the registry content as it is now."""
    now = now or timezone.now()
    latest = PolicyVersion.objects.select_for_update().order_by("-number").first()
    version = PolicyVersion(
        number=(latest.number + 1) if latest else 1,
        changed_on=changed_on or timezone.localdate(now),
        summary=summary,
        registry_hash=registry.content_hash(),
        consent_hash=registry.content_hash(sections=("cookies",)),
        published_at=now,
    )
    version.full_clean()
    version.save()
    return version
