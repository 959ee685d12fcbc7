"""The suppression list: who must not be mailed, kept as keyed hashes that outlive erasure.

An entry holds ``privacy.digests.address_digest`` of the address (HMAC-SHA256 with
``ADDRESS_HASH_KEY``), never the address: without the key the table cannot be turned back into
addresses, yet any address we are about to mail or import can be checked against it. Erasing a person's data therefore leaves
the block in force (Art. 17(3)(b) and 21(3) GDPR: an objection must keep working).

Scopes: ``newsletter``, ``customer`` (the E-Mail-Sperre of customer mails) and ``all`` (both).
``is_suppressed(address, "newsletter")`` is true for a ``newsletter`` or an ``all`` entry;
``is_suppressed(address, "all")`` only for an ``all`` entry.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from privacy.digests import address_digest
from privacy.registry import MailKind, SuppressionCause

from .models import Channel, Suppression, SuppressionReason, SuppressionScope

SCOPES = tuple(SuppressionScope.values)


def covering_scopes(scope: str) -> list[str]:
    """The entry scopes that block mail of ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"Unknown suppression scope {scope!r}; use one of {SCOPES}")
    return [scope] if scope == SuppressionScope.ALL else [scope, SuppressionScope.ALL]


def suppress_hash(
    hashed: str,
    *,
    scope: str = "all",
    reason: str,
    channel: str,
    on: date | None = None,
    reference: str = "",
) -> Suppression:
    """Add a block for an already hashed address; an existing block of that scope is kept."""
    covering_scopes(scope)
    entry = Suppression.objects.filter(address_hash=hashed, scope=scope).first()
    if entry:
        return entry
    try:
        with transaction.atomic():
            return Suppression.objects.create(
                address_hash=hashed,
                scope=scope,
                reason=reason,
                channel=channel,
                on=on or timezone.localdate(),
                reference=reference,
            )
    except IntegrityError:  # added concurrently: the first entry stands
        return Suppression.objects.get(address_hash=hashed, scope=scope)


def suppress(
    address: str,
    *,
    scope: str = "all",
    reason: str,
    channel: str,
    on: date | None = None,
    reference: str = "",
) -> Suppression:
    """Never mail ``address`` again within ``scope`` (newsletter, customer or all)."""
    return suppress_hash(
        address_digest(address),
        scope=scope,
        reason=reason,
        channel=channel,
        on=on,
        reference=reference,
    )


SUPPRESSED_SQL = (
    f"SELECT 1 FROM {Suppression._meta.db_table} "
    "WHERE address_hash = %s AND scope IN (%s, %s) LIMIT 1"
)


def hash_suppressed(hashed: str, scope: str) -> bool:
    """Whether a hashed address is blocked for ``scope``.

    Written as SQL because the mail guard asks it once per message right before the SMTP
    hand-off; it is ``Suppression.objects.filter(address_hash=, scope__in=).exists()``, whose
    query building cost 17.5 % of a message's CPU time (bench/optimisations.py, case 1).
    """
    scopes = covering_scopes(scope)
    with connection.cursor() as cursor:
        cursor.execute(SUPPRESSED_SQL, [hashed, scopes[0], scopes[-1]])
        return cursor.fetchone() is not None


def is_suppressed(address: str, scope: str) -> bool:
    """Whether mail of ``scope`` to ``address`` is blocked."""
    return hash_suppressed(address_digest(address), scope)


def suppressed_hashes(scope: str):
    """A subquery of the hashes blocked for ``scope``, to exclude them in bulk."""
    return Suppression.objects.filter(scope__in=covering_scopes(scope)).values("address_hash")


KIND_SCOPES = {str(MailKind.NEWSLETTER): "newsletter", str(MailKind.CUSTOMER): "customer"}


def blocks(address: str, kind: str) -> bool:
    """The mail guard: newsletters and customer mails only; answers to requests still go out."""
    scope = KIND_SCOPES.get(str(kind))
    return scope is not None and is_suppressed(address, scope)


# What another app's request for a block becomes here: (scope, reason, channel).
CAUSES = {
    SuppressionCause.ERASURE: (SuppressionScope.ALL, SuppressionReason.ERASURE, Channel.DSAR),
}


def suppress_for(address: str, *, cause: str, on: date, reference: str = "") -> Suppression:
    """The registry's suppressor: block ``address`` because of another app's ``cause``."""
    scope, reason, channel = CAUSES[SuppressionCause(cause)]
    return suppress(
        address, scope=scope, reason=reason, channel=channel, on=on, reference=reference
    )
