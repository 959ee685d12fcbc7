"""Demo receipts for `make run`, so the admin's lookup by consent id has something to find."""

from datetime import timedelta

from django.utils import timezone

from .models import ConsentAction, ConsentReceipt
from .services import consent_give


def load_demo_content() -> None:
    if ConsentReceipt.objects.exists():
        return
    now = timezone.now()
    first = consent_give(
        categories={"statistics"},
        action=ConsentAction.ACCEPT_ALL,
        language="de",
        now=now - timedelta(days=40),
    )
    consent_give(
        categories=set(),
        action=ConsentAction.NECESSARY_ONLY,
        language="de",
        consent_id=first.consent_id,
        now=now - timedelta(days=3),
    )
    consent_give(
        categories=set(),
        action=ConsentAction.NECESSARY_ONLY,
        language="en",
        now=now - timedelta(days=1),
    )
