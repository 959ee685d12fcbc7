"""Recording a cookie decision and applying it to the response."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from privacy.registry import registry

from .models import ConsentReceipt
from .policy import PolicyState, current_policy
from .privacy import CONSENT_COOKIE, CONSENT_VALIDITY
from .state import Consent, encode, optional_categories
from .texts import texts_hash


def consent_give(
    *,
    categories: Iterable[str],
    action: str,
    language: str,
    consent_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> ConsentReceipt:
    """Store the receipt of a decision; a browser keeps its consent id across decisions."""
    known = set(optional_categories())
    chosen = sorted(set(categories) & known)
    policy = current_policy()
    return ConsentReceipt.objects.create(
        consent_id=consent_id or uuid.uuid4(),
        action=action,
        categories=chosen,
        policy_version=policy.version,
        consent_hash=policy.consent_hash,
        texts_hash=texts_hash(language),
        language=language,
        given_at=now or timezone.now(),
    )


def consent_of(receipt: ConsentReceipt, *, gpc: bool = False) -> Consent:
    return Consent(
        consent_id=receipt.consent_id,
        categories=frozenset(receipt.categories),
        policy_version=receipt.policy_version,
        decided_at=receipt.given_at,
        current=True,
        gpc=gpc,
    )


def consent_cookie_set(response: HttpResponse, receipt: ConsentReceipt) -> None:
    """The strictly necessary cookie that carries the decision; it ends when consent does."""
    value = encode(
        consent_id=receipt.consent_id,
        categories=set(receipt.categories),
        policy=PolicyState(version=receipt.policy_version, consent_hash=receipt.consent_hash),
        decided_at=receipt.given_at,
    )
    response.set_cookie(
        CONSENT_COOKIE,
        value,
        expires=CONSENT_VALIDITY.after(receipt.given_at),
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def expire_unconsented_cookies(
    request: HttpRequest, response: HttpResponse, consent: Consent
) -> list[str]:
    """Expire every cookie the browser sent whose registry category the visitor has not allowed.

    Patterns such as ``_pk_id.*`` match each concrete name (``_pk_id.1.a1b2``), which an
    exact-name deletion would miss.
    """
    expired = []
    for name in request.COOKIES:
        cookie = registry.cookie_for(name)
        if cookie is not None and not consent.allows(cookie.category):
            response.delete_cookie(name, path="/", samesite="Lax")
            expired.append(name)
    return expired
