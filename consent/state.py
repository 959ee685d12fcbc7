"""The visitor's consent, read from the signed consent cookie alone (no database query).

The cookie holds ``<consent id>|<categories>|<policy version>|<cookie hash prefix>|<unix time>``
signed with the site's key. A decision counts while the published policy's cookie hash is the
one it was given under and it is younger than ``CONSENT_VALIDITY``; otherwise the visitor is
asked again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core import signing
from django.http import HttpRequest
from django.utils import timezone

from privacy.registry import CookieCategory, registry

from .policy import PolicyState, current_policy
from .privacy import CONSENT_COOKIE, CONSENT_VALIDITY

SALT = "consent.cookie"
HASH_PREFIX = 16


def optional_categories() -> list[str]:
    """Categories that need consent, in the registry's order, if any cookie uses them."""
    return [
        category.value
        for category in CookieCategory
        if category != CookieCategory.NECESSARY and registry.cookies_in(category.value)
    ]


@dataclass(frozen=True)
class Consent:
    """What the visitor has allowed; ``current`` is False when they must be asked (again)."""

    consent_id: uuid.UUID | None = None
    categories: frozenset[str] = frozenset()
    policy_version: int = 0
    decided_at: datetime | None = None
    current: bool = False
    gpc: bool = False

    def allows(self, category: str) -> bool:
        if category == CookieCategory.NECESSARY:
            return True
        return self.current and category in self.categories

    @property
    def needs_decision(self) -> bool:
        return not self.current

    @property
    def gpc_applies(self) -> bool:
        """Global Privacy Control rejects every optional category until the visitor decides."""
        return self.gpc and not self.current

    @property
    def expires_at(self) -> datetime | None:
        return CONSENT_VALIDITY.after(self.decided_at) if self.decided_at else None


def encode(
    *, consent_id: uuid.UUID, categories: set[str], policy: PolicyState, decided_at: datetime
) -> str:
    value = "|".join(
        (
            consent_id.hex,
            "+".join(sorted(categories)),
            str(policy.version),
            policy.consent_hash[:HASH_PREFIX],
            str(int(decided_at.timestamp())),
        )
    )
    return signing.Signer(salt=SALT).sign(value)


def decode(raw: str, *, policy: PolicyState, now: datetime, gpc: bool = False) -> Consent:
    """The consent in a cookie value; a forged or malformed value counts as no decision."""
    try:
        value = signing.Signer(salt=SALT).unsign(raw)
        id_hex, categories, version, hash_prefix, stamp = value.split("|")
        consent_id = uuid.UUID(hex=id_hex)
        decided_at = datetime.fromtimestamp(int(stamp), tz=UTC)
        policy_version = int(version)
    except (signing.BadSignature, ValueError):
        return Consent(gpc=gpc)
    same_cookies = hash_prefix == policy.consent_hash[:HASH_PREFIX]
    current = same_cookies and now < CONSENT_VALIDITY.after(decided_at)
    return Consent(
        consent_id=consent_id,
        categories=frozenset(filter(None, categories.split("+"))),
        policy_version=policy_version,
        decided_at=decided_at,
        current=current,
        gpc=gpc,
    )


def read_consent(request: HttpRequest, *, now: datetime | None = None) -> Consent:
    gpc = request.headers.get("Sec-GPC", "").strip() == "1"
    raw = request.COOKIES.get(CONSENT_COOKIE)
    if not raw:
        return Consent(gpc=gpc)
    return decode(raw, policy=current_policy(), now=now or timezone.now(), gpc=gpc)


def get_consent(request: HttpRequest) -> Consent:
    """The request's consent: the middleware's lazy value, or read now without it."""
    consent = getattr(request, "consent", None)
    return consent if consent is not None else read_consent(request)
