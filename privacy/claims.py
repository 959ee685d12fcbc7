"""Claim, send, settle: the claim that lets one worker send a promised mail with no lock held.

A claim is one committed ``UPDATE`` that writes a fresh claim id and time on a row nobody holds
(or whose holder's lease ran out); the worker then sends with no transaction open and settles
the row only while the claim is still its own. Used by contact's request mails and the cloud's
outbox.
"""

import uuid
from datetime import datetime, timedelta

from django.db import models


def lease_claim(
    rows: models.QuerySet,
    *,
    pk: int,
    now: datetime,
    lease: timedelta,
    claim_field: str = "claim",
    at_field: str = "claimed_at",
) -> str | None:
    """Claim the row ``pk`` among ``rows`` for this worker; its claim id, or None when the row
    is not among them or another worker holds a claim younger than ``lease``."""
    claim = uuid.uuid4().hex
    free = models.Q(**{f"{at_field}__isnull": True}) | models.Q(**{f"{at_field}__lte": now - lease})
    taken = rows.filter(pk=pk).filter(free).update(**{claim_field: claim, at_field: now})
    return claim if taken else None
