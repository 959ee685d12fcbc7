"""Sending the cloud's promised mails: claim, send, settle; and the sweep of what is unsent.

The claim is one committed UPDATE, the mail goes out with no transaction open, and its state
is written after the server accepted it, only while the claim is still this worker's. The
after-commit task, its redelivery and the sweep therefore never send a mail twice, and a slow
mail server holds no row lock. A worker that dies after the server accepted a mail and before
its state was written leaves the claim behind: once ``MAIL_CLAIM_LEASE`` has run out the sweep
sends that mail again (a second copy rather than a lost one).

Each kind of mail is rendered when it is sent, by a function of the module it belongs to; a
mail that no longer holds (an invitation accepted meanwhile, a reset link asked for too long
ago, a notice the organisation's state no longer matches) is settled ``obsolete``, one to an
address a registry guard blocks is settled ``blocked`` with the guard's key, never sent.
"""

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from privacy.claims import lease_claim
from privacy.registry import MailKind as GuardKind
from privacy.registry import registry

from ..models import MailKind, MailState, OutgoingMail
from . import invitations, organisations, passwords, receipts
from .mails import Letter

logger = logging.getLogger("cloud.services")

SWEEP_BATCH_SIZE = 200
# Longer than one mail's SMTP exchange can take (EMAIL_TIMEOUT, 20 s a step); the task's hard
# time limit (cloud/tasks.py) ends a stuck worker well within it.
MAIL_CLAIM_LEASE = timedelta(minutes=5)

RENDERERS: dict[str, Callable[..., Letter | None]] = {
    MailKind.PASSWORD_RESET: passwords.password_reset_mail,
    MailKind.INVITATION: invitations.invitation_mail,
    MailKind.RECEIPT_APPROVED: receipts.receipt_decision_mail,
    MailKind.RECEIPT_REJECTED: receipts.receipt_decision_mail,
    MailKind.RECEIPT_REFUNDED: receipts.receipt_decision_mail,
    MailKind.CANCELLATION_CONFIRMED: organisations.cancellation_notice_mail,
    MailKind.CANCELLATION_WITHDRAWN: organisations.cancellation_notice_mail,
    MailKind.ERASURE_REMINDER: organisations.erasure_reminder_mail,
}


def _claim(*, mail_id: int, now: datetime) -> str | None:
    """Claim an unsent mail for this worker (one UPDATE, no lock kept); None when it is
    settled or another worker holds a fresh claim."""
    return lease_claim(OutgoingMail.objects.unsent(), pk=mail_id, now=now, lease=MAIL_CLAIM_LEASE)


def _permanent_refusal(exc: BaseException) -> int | None:
    """The server's 5xx code when it refused this recipient or this message for good; None
    for anything that trying again can mend: a 4xx answer, a connection that failed, and a
    refusal of our own login, sender or greeting (535, a 5xx to MAIL FROM or HELO: the site's
    configuration, which is the same for every mail and will be put right)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        return max(codes) if codes and min(codes) >= 500 else None
    if isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600:
        return exc.smtp_code
    return None


def _deliver(mail: OutgoingMail, *, now: datetime) -> tuple[str, str]:
    """Send one claimed mail: the state and guard key to settle it with, or UNSENT when the
    mail server did not take it (the sweep tries again)."""
    guard = registry.mail_blocked(mail.recipient, kind=GuardKind.TRANSACTIONAL)
    if guard:
        logger.info("cloud.mail.blocked mail=%s kind=%s guard=%s", mail.pk, mail.kind, guard)
        return MailState.BLOCKED, guard
    with translation.override(mail.language):
        letter = RENDERERS[mail.kind](mail, now=now)
        if letter is None:
            logger.info("cloud.mail.obsolete mail=%s kind=%s", mail.pk, mail.kind)
            return MailState.OBSOLETE, ""
        message = letter.message(to=mail.recipient)
    try:
        accepted = message.send()
    except (smtplib.SMTPException, OSError) as exc:
        if code := _permanent_refusal(exc):
            # A 5xx answer (no such mailbox, a policy refusal) will not change by trying again
            # every minute: the mail is settled as refused, with the server's code.
            logger.warning("cloud.mail.refused mail=%s kind=%s code=%s", mail.pk, mail.kind, code)
            return MailState.REFUSED, f"smtp {code}"
        logger.warning(
            "cloud.mail.failed mail=%s kind=%s: %s", mail.pk, mail.kind, type(exc).__name__
        )
        return MailState.UNSENT, ""
    if not accepted:  # the guarded mailer dropped the address: a guard that came up since
        return MailState.BLOCKED, registry.mail_blocked(
            mail.recipient, kind=GuardKind.TRANSACTIONAL
        ) or ""
    return MailState.SENT, ""


def outgoing_mail_send(*, mail_id: int, now: datetime | None = None) -> str | None:
    """Send one promised mail unless it is settled or claimed; returns the state it is left
    in (UNSENT after a failed attempt), or None when there was nothing for this worker."""
    now = now or timezone.now()
    claim = _claim(mail_id=mail_id, now=now)
    if claim is None:
        return None
    try:
        mail = (
            OutgoingMail.objects.select_related(
                "user", "organisation", "invitation__organisation", "receipt__organisation"
            )
            .filter(pk=mail_id)
            .first()
        )
        if mail is None:  # deleted with what it was about
            return None
        try:
            state, guard = _deliver(mail, now=now)
        except Exception:
            # A mail that cannot even be rendered goes to the back of the sweep's queue, so
            # it does not stop the others; the error is raised for the worker's log.
            OutgoingMail.objects.filter(pk=mail_id, claim=claim).update(failed_at=now)
            raise
        if state == MailState.UNSENT:
            OutgoingMail.objects.filter(pk=mail_id, claim=claim).update(failed_at=now)
            return state
        with transaction.atomic():
            mine = OutgoingMail.objects.filter(pk=mail_id, claim=claim, state=MailState.UNSENT)
            if not mine.update(state=state, blocked_by=guard, settled_at=now):
                return None
            if mail.invitation_id is not None:
                invitations.invitation_mail_settled(
                    invitation_id=mail.invitation_id, state=state, blocked_by=guard, now=now
                )
        return state
    finally:
        OutgoingMail.objects.filter(pk=mail_id, claim=claim).update(claim="", claimed_at=None)


def outgoing_mails_send(*, mail_ids: list[int], now: datetime | None = None) -> int:
    """Send the mails in order (the after-commit task); returns how many went out.

    After a failed attempt the rest wait for the sweep, so a mail server that does not answer
    costs one timeout, not one per mail.
    """
    sent = 0
    for mail_id in mail_ids:
        state = outgoing_mail_send(mail_id=mail_id, now=now)
        if state == MailState.UNSENT:
            break
        sent += state == MailState.SENT
    return sent


def outgoing_mails_send_unsent(*, now: datetime | None = None) -> int:
    """Send what a broker or SMTP outage left unsent (the periodic sweep); returns the count.

    Mails never tried come first and the one that failed last comes last, so a mail the
    server keeps refusing does not stand in front of the others.
    """
    # Each mail is claimed at its own time (unless ``now`` is given), so a long run never
    # holds a claim whose lease started before its mail's turn.
    started = now or timezone.now()
    ids = list(
        OutgoingMail.objects.unsent()
        .exclude(claimed_at__gt=started - MAIL_CLAIM_LEASE)
        .order_by(F("failed_at").asc(nulls_first=True), "created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    return outgoing_mails_send(mail_ids=ids, now=now)
