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

from django.conf import settings
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


def _verified(raw: str, keys: tuple[str, ...]) -> tuple | None:
    """The fields of a cookie value whose signature holds, else None.

    Checked on every read: a cache of the result saved about 1 % of a returning visitor's
    page (bench/optimisations.py, case 4).
    """
    signer = signing.Signer(key=keys[0], fallback_keys=list(keys[1:]), salt=SALT)
    try:
        id_hex, categories, version, hash_prefix, stamp = signer.unsign(raw).split("|")
        decided_at = datetime.fromtimestamp(int(stamp), tz=UTC)
        return (
            uuid.UUID(hex=id_hex),
            frozenset(filter(None, categories.split("+"))),
            int(version),
            hash_prefix,
            decided_at,
            CONSENT_VALIDITY.after(decided_at),
        )
    except (signing.BadSignature, ValueError):
        return None


def decode(raw: str, *, policy: PolicyState, now: datetime, gpc: bool = False) -> Consent:
    """The consent in a cookie value; a forged or malformed value counts as no decision."""
    keys = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    fields = _verified(raw, keys)
    if fields is None:
        return Consent(gpc=gpc)
    consent_id, categories, policy_version, hash_prefix, decided_at, expires_at = fields
    same_cookies = hash_prefix == policy.consent_hash[:HASH_PREFIX]
    return Consent(
        consent_id=consent_id,
        categories=categories,
        policy_version=policy_version,
        decided_at=decided_at,
        current=same_cookies and now < expires_at,
        gpc=gpc,
    )


def read_consent(request: HttpRequest, *, now: datetime | None = None) -> Consent:
    gpc = request.META.get("HTTP_SEC_GPC", "").strip() == "1"  # no HttpHeaders built
    raw = request.COOKIES.get(CONSENT_COOKIE)
    if not raw:
        return Consent(gpc=gpc)
    return decode(raw, policy=current_policy(), now=now or timezone.now(), gpc=gpc)


def get_consent(request: HttpRequest) -> Consent:
    """The request's consent, read from its cookie on first use and kept on the request."""
    consent = request.__dict__.get("consent")
    if consent is None:
        consent = keep_consent(request, read_consent(request))
    return consent


def keep_consent(request: HttpRequest, consent: Consent) -> Consent:
    """Keep ``consent`` on the request, so the rest of it (and ``get_consent``) sees it."""
    request.__dict__["consent"] = consent
    return consent
