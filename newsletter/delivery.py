"""Sending a mailing: one delivery row per recipient first, then workers claim and send batches.

The rows are the queue (the broker only says "there is work"), so a lost task or a killed
worker delays a delivery but never loses or doubles it:

- ``deliveries_create`` writes one row per recipient under ``UniqueConstraint(mailing,
  address_hash)``, leaving out suppressed addresses; running it twice adds nothing.
- ``deliveries_claim`` moves a batch from ``queued`` to ``claimed`` under a fresh claim id
  (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers never wait on each other).
- ``deliveries_send`` asks the mail guards again right before the hand-off, takes a token from
  the global rate limit and hands the message over (see ``transport``): the row becomes
  ``sent`` only while its claim is still held, and a ``sent`` row is never claimed again.
- ``deliveries_release_stale`` returns the claims of a dead worker to the queue after
  ``NEWSLETTER_CLAIM_LEASE_SECONDS``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from privacy.registry import MailKind

from .compose import Rendered
from .models import (
    PROSPECT_WITHOUT_CONSENT,
    Customer,
    Delivery,
    DeliveryStatus,
    Mailing,
    MailingKind,
    MailingStatus,
    Subscriber,
)
from .suppression import suppressed_hashes
from .transport import Result, Transport

logger = logging.getLogger("newsletter.delivery")
MAX_ATTEMPTS = 3
CHUNK = 2000


def message_id_domain() -> str:
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


# Creating the rows ---------------------------------------------------------------------------


def recipient_rows(mailing: Mailing):
    """The subscribers or customers a mailing goes to, suppressed addresses left out."""
    excluded = suppressed_hashes(mailing.scope)
    if mailing.kind == MailingKind.NEWSLETTER:
        return Subscriber.objects.confirmed().exclude(address_hash__in=excluded)
    # A prospect without recorded consent gets no customer mail (§ 7 Abs. 2 UWG).
    rows = Customer.objects.exclude(address_hash__in=excluded).exclude(PROSPECT_WITHOUT_CONSENT)
    return rows.filter(relationship=mailing.relationship) if mailing.relationship else rows


def recipients(mailing: Mailing):
    """(address, hash, subscriber id, customer id, language) of everyone the mailing goes to."""
    rows = recipient_rows(mailing)
    if mailing.kind == MailingKind.NEWSLETTER:
        return (
            (s["email"], s["address_hash"], s["pk"], None, s["language"])
            for s in rows.values("pk", "email", "address_hash", "language").iterator(CHUNK)
        )
    return (
        (c["email"], c["address_hash"], None, c["pk"], "de")
        for c in rows.values("pk", "email", "address_hash").iterator(CHUNK)
    )


def deliveries_create(*, mailing_id: int, now: datetime | None = None) -> int:
    """Write one delivery row per recipient (idempotent); returns how many rows are new."""
    now = now or timezone.now()
    mailing = Mailing.objects.get(pk=mailing_id)
    if mailing.status != MailingStatus.QUEUED:
        return 0
    domain = message_id_domain()
    existing = Delivery.objects.filter(mailing_id=mailing.pk)
    before = existing.count()
    batch: list[Delivery] = []
    for address, hashed, subscriber_id, customer_id, language in recipients(mailing):
        batch.append(
            Delivery(
                mailing_id=mailing.pk,
                address=address,
                address_hash=hashed,
                subscriber_id=subscriber_id,
                customer_id=customer_id,
                language=language,
                message_id=make_msgid(domain=domain),
                created_at=now,
            )
        )
        if len(batch) >= CHUNK:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Delivery.objects.bulk_create(batch, ignore_conflicts=True)
    Mailing.objects.filter(pk=mailing.pk, status=MailingStatus.QUEUED).update(
        status=MailingStatus.SENDING
    )
    return existing.count() - before


# Claiming ------------------------------------------------------------------------------------


def deliveries_claim(
    *, mailing_id: int, size: int, now: datetime | None = None
) -> tuple[str, list[Delivery]]:
    """Claim up to ``size`` queued rows for this worker; returns the claim id and the rows."""
    now = now or timezone.now()
    claim = uuid.uuid4().hex
    with transaction.atomic():
        queued = Delivery.objects.filter(mailing_id=mailing_id, status=DeliveryStatus.QUEUED)
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        ids = list(queued.order_by("pk").values_list("pk", flat=True)[:size])
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.CLAIMED, claim=claim, claimed_at=now, attempts=F("attempts") + 1
        )
    rows = list(Delivery.objects.filter(claim=claim, status=DeliveryStatus.CLAIMED).order_by("pk"))
    return claim, rows


def deliveries_release_stale(*, now: datetime | None = None) -> set[int]:
    """Return to the queue the claims of workers that died (their lease has run out).

    Returns the mailings rows went back for: they need a sender again even when another worker
    sent for them a moment ago (``mailings_stalled`` would not call them stalled).
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE_SECONDS)
    stale = Delivery.objects.filter(status=DeliveryStatus.CLAIMED, claimed_at__lte=now - lease)
    mailings = set(stale.values_list("mailing_id", flat=True))
    stale.update(status=DeliveryStatus.QUEUED, claim="", claimed_at=None)
    return mailings


# Sending -------------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    lost: int = 0
    remaining: bool = False


MAIL_KINDS: dict[str, MailKind] = {
    MailingKind.NEWSLETTER: MailKind.NEWSLETTER,
    MailingKind.CUSTOMER: MailKind.CUSTOMER,
}


def _settle(row: Delivery, claim: str, status: str, **fields) -> None:
    Delivery.objects.filter(pk=row.pk, claim=claim, status=DeliveryStatus.CLAIMED).update(
        status=status, **fields
    )


def _release(claim: str) -> None:
    """Give back what this worker claimed but did not hand off (after a connection error)."""
    Delivery.objects.filter(claim=claim, status=DeliveryStatus.CLAIMED).update(
        status=DeliveryStatus.QUEUED, claim="", claimed_at=None
    )


MARK_SENT_SQL = (
    f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s "
    "WHERE id = %s AND claim = %s AND status = %s"
)


def _mark_sent(pk: int, claim: str) -> bool:
    """Mark a row sent if this worker still holds its claim (the one write per message).

    Written as SQL because it runs once per message on the hot path; it is the ORM's
    ``filter(pk=, claim=, status=CLAIMED).update(status=SENT, sent_at=now)`` without the
    query building, which cost 13.5 % of a message's CPU time (bench/optimisations.py, case 2).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            MARK_SENT_SQL,
            [DeliveryStatus.SENT.value, timezone.now(), pk, claim, DeliveryStatus.CLAIMED.value],
        )
        return cursor.rowcount == 1


# The same statement for libpq, whose parameters are numbered.
MARK_SENT_LIBPQ = MARK_SENT_SQL.replace("%s", "{}").format("$1", "$2", "$3", "$4", "$5").encode()
ANSWER_TIMEOUT = 30.0


def _libpq():
    """psycopg's libpq connection under Django's, or None on another database (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return getattr(connection.connection, "pgconn", None)


def _tcp_socket(fd: int) -> socket.socket | None:
    """A second handle on the database's TCP socket (to cork it), or None for a Unix socket."""
    handle = socket.socket(fileno=os.dup(fd))
    if handle.family in (socket.AF_INET, socket.AF_INET6):
        return handle
    handle.close()
    return None


class SentMark:
    """The mark for one row, held back in the kernel so the final dot can follow at once.

    ``overlaps`` only on PostgreSQL over TCP (psycopg's libpq connection, ``psycopg.pq``) and
    only while the claim has more than half of its lease left, so the release of stale claims
    cannot hand the row to another worker before the answer is read. ``write()`` then queues
    the ``UPDATE`` on a corked socket (``TCP_CORK``): nothing is transmitted and nobody is woken
    until ``confirmed()`` uncorks it, after the transport has written the dot. A worker killed
    between the two writes (a few microseconds in which no other process is woken) has the
    mark flushed at close and the dot unsent: one message lost, never doubled. Killed after
    both, both arrive. Without the cork, writing the mark wakes PostgreSQL, which may run
    before the worker writes the dot: bench/faults.py case 4 lost a message in one of ten
    kills that way. Otherwise ``write()`` is the ordinary round trip of ``_mark_sent``.
    """

    def __init__(self, row: Delivery, claim: str):
        self.pk, self.claim = row.pk, claim
        lease = timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE_SECONDS)
        young = row.claimed_at is not None and timezone.now() - row.claimed_at < lease / 2
        self.pgconn = _libpq() if young else None
        self.overlaps = self.pgconn is not None  # settled in write(): only over TCP
        self.cork: socket.socket | None = None
        self.held: bool | None = None

    def write(self) -> None:
        if self.pgconn is not None:
            self.cork = _tcp_socket(self.pgconn.socket)
        if self.pgconn is None or self.cork is None:
            self.overlaps = False
            self.held = _mark_sent(self.pk, self.claim)
            return
        values = [
            DeliveryStatus.SENT.value,
            timezone.now().isoformat(),
            self.pk,
            self.claim,
            DeliveryStatus.CLAIMED.value,
        ]
        try:
            self.cork.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            self.pgconn.send_query_params(MARK_SENT_LIBPQ, [str(v).encode() for v in values])
            while self.pgconn.flush():  # non-blocking connection: 1 while bytes remain
                select.select([], [self.pgconn.socket], [], ANSWER_TIMEOUT)
        except BaseException:
            self._drop_connection()
            raise

    def confirmed(self) -> bool:
        pgconn = self.pgconn
        if self.held is not None or pgconn is None or self.cork is None:
            return bool(self.held)
        from psycopg import pq

        try:
            self._uncork()  # the mark leaves now
            deadline = time.monotonic() + ANSWER_TIMEOUT
            pgconn.consume_input()
            while pgconn.is_busy():
                if time.monotonic() > deadline:
                    raise DatabaseError(f"no answer to the mark within {ANSWER_TIMEOUT:.0f} s")
                select.select([pgconn.socket], [], [], 1.0)
                pgconn.consume_input()
            rows, error = 0, ""
            while (result := pgconn.get_result()) is not None:
                if result.status == pq.ExecStatus.COMMAND_OK:
                    rows += result.command_tuples or 0
                else:
                    error = (result.error_message or b"").decode(errors="replace")
        except BaseException:
            self._drop_connection()  # libpq may still wait for an answer nobody reads
            raise
        if error:
            raise DatabaseError(error)
        self.held = rows == 1
        return self.held

    def abandon(self, *, delivered: bool) -> None:
        """The hand-off broke off after write(): learn whether the mark committed and, unless
        the dot was written (the server has the message), take it back so the release of the
        claim queues the row again."""
        if self.held is None:
            with contextlib.suppress(Exception):
                self.confirmed()
        if delivered or self.held is False:  # held None: unknown, take it back to be safe
            return
        try:
            Delivery.objects.filter(
                pk=self.pk, claim=self.claim, status=DeliveryStatus.SENT
            ).update(status=DeliveryStatus.CLAIMED, sent_at=None)
        except DatabaseError:
            logger.exception("newsletter.handoff.mark-not-taken-back delivery=%s", self.pk)

    def _uncork(self) -> None:
        if self.cork is not None:
            with contextlib.suppress(OSError):
                self.cork.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
            self.cork.close()
            self.cork = None

    def _drop_connection(self) -> None:
        """Uncork and close Django's connection: its libpq state is unknown (a query half sent
        or unanswered), so the next query opens a fresh one."""
        self._uncork()
        self.pgconn = None
        connection.close()


def _send_one(
    row: Delivery, claim: str, rendered: Rendered, transport: Transport, limiter, report: SendReport
) -> None:
    limiter.acquire()
    message = rendered.outgoing(row)

    # The guarded newsletter mailer asks registry.mail_blocked right before the hand-off.
    outcome = transport.send(message, SentMark(row, claim), kind=MAIL_KINDS[rendered.mailing.kind])
    if outcome.result is Result.BLOCKED:
        _settle(row, claim, DeliveryStatus.SKIPPED, error=outcome.guard[:64])
        report.skipped += 1
        return
    if outcome.result is Result.ACCEPTED:
        report.sent += 1
        return
    if outcome.result is Result.LOST_CLAIM:
        report.lost += 1
        return
    # The server refused: before the commit the row is still claimed, after it marked sent.
    current = DeliveryStatus.SENT if outcome.committed else DeliveryStatus.CLAIMED
    retry = outcome.result is Result.TEMPORARY and row.attempts < MAX_ATTEMPTS
    Delivery.objects.filter(pk=row.pk, status=current).update(
        status=DeliveryStatus.QUEUED if retry else DeliveryStatus.FAILED,
        claim="",
        sent_at=None,
        error=f"smtp {outcome.code}",
    )
    if retry:
        report.retried += 1
    else:
        report.failed += 1


def deliveries_send(*, mailing_id: int, budget_seconds: float = 60.0, limiter=None) -> SendReport:
    """Claim and send batches of one mailing until none is left or the time budget is spent."""
    from .ratelimit import rate_limiter

    report = SendReport()
    mailing = Mailing.objects.get(pk=mailing_id)
    if mailing.status != MailingStatus.SENDING:
        return report
    rendered = Rendered(mailing)
    limiter = limiter or rate_limiter()
    deadline = time.monotonic() + budget_seconds
    with Transport() as transport:
        while time.monotonic() < deadline:
            claim, rows = deliveries_claim(
                mailing_id=mailing_id, size=settings.NEWSLETTER_BATCH_SIZE
            )
            if not rows:
                break
            try:
                for row in rows:
                    _send_one(row, claim, rendered, transport, limiter, report)
            except (smtplib.SMTPException, OSError):
                _release(claim)
                raise
        else:
            report.remaining = True
    mailing_finish_if_done(mailing_id=mailing_id)
    return report


def mailing_finish_if_done(*, mailing_id: int, now: datetime | None = None) -> bool:
    open_rows = Delivery.objects.filter(
        mailing_id=mailing_id, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.CLAIMED]
    )
    if open_rows.exists():
        return False
    return bool(
        Mailing.objects.filter(pk=mailing_id, status=MailingStatus.SENDING).update(
            status=MailingStatus.SENT, finished_at=now or timezone.now()
        )
    )


def mailings_stalled(*, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """Mailings whose work has stopped: (queued without rows, sending without recent claims)."""
    now = now or timezone.now()
    quiet_since = now - timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE_SECONDS)
    unqueued = list(
        Mailing.objects.filter(status=MailingStatus.QUEUED, queued_at__lte=quiet_since).values_list(
            "pk", flat=True
        )
    )
    stalled = list(
        Mailing.objects.filter(status=MailingStatus.SENDING)
        .annotate(
            waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.QUEUED)),
            recent=Count(
                "deliveries",
                filter=Q(deliveries__claimed_at__gt=quiet_since)
                | Q(deliveries__sent_at__gt=quiet_since),
            ),
        )
        .filter(waiting__gt=0, recent=0)
        .values_list("pk", flat=True)
    )
    return unqueued, stalled


def mailing_progress(mailing: Mailing) -> dict[str, int]:
    """Counts per state: queued (waiting or in work), sent, failed, skipped."""
    counts = dict(
        Delivery.objects.filter(mailing=mailing)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "queued": counts.get(DeliveryStatus.QUEUED, 0) + counts.get(DeliveryStatus.CLAIMED, 0),
        "sent": counts.get(DeliveryStatus.SENT, 0),
        "failed": counts.get(DeliveryStatus.FAILED, 0),
        "skipped": counts.get(DeliveryStatus.SKIPPED, 0),
    }
