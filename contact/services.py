"""State changes of requests: create, guardian consent, status, and sending their mails.

A request is stored first and mailed second. Each mail has a state on the request row
(``MailState``); the after-commit task and the periodic sweep send whatever is UNSENT, so a
broker or SMTP outage delays a mail but never loses it.
"""

import logging
import smtplib
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from privacy.claims import lease_claim
from privacy.publish import publish_once
from privacy.registry import MailKind, registry

from . import pending
from .models import (
    GUARDIAN_CONFIRMATION_HOURS,
    Inquiry,
    MailState,
    Status,
    TrainingEvent,
    pupil_promise,
)

logger = logging.getLogger(__name__)

GUARDIAN_SALT = "contact.guardian-consent"
THANKS_SALT = "contact.thanks"
THANKS_MAX_AGE = timedelta(hours=1)
SWEEP_BATCH_SIZE = 200
# Longer than a worker can hold it: three SMTP sends of at most 20 s each, and the task's hard
# time limit (contact/tasks.py) ends a stuck one at 120 s.
MAIL_CLAIM_LEASE = timedelta(minutes=5)


class RegistrationRefused(Exception):
    """A training registration that cannot be taken; ``message`` is for the visitor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class GuardianLinkError(Exception):
    """A guardian link that is forged, expired or already used; ``message`` is for the visitor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _enqueue_mails(inquiry_id: int) -> None:
    """Hand the request's mails to Celery; with the broker down, the periodic sweep sends them."""
    from .tasks import send_inquiry_mails

    publish_once(
        send_inquiry_mails, inquiry_id, event=f"contact.mail.enqueue_failed inquiry={inquiry_id}"
    )


def _take_seat(*, event_id: int, now: datetime) -> None:
    """Lock the event row and check its seats, so concurrent registrations queue up here."""
    event = TrainingEvent.objects.select_for_update().get(pk=event_id)
    if not event.is_open(now=now):
        raise RegistrationRefused(_("Der Anmeldeschluss für diese Schulung ist vorbei."))
    if event.registrations.holding_seat(now=now).count() >= event.seats:
        raise RegistrationRefused(
            _("Diese Schulung ist leider ausgebucht. Bitte wählen Sie einen anderen Termin.")
        )


def inquiry_create(
    *,
    kind: str,
    data: dict,
    event: TrainingEvent | None = None,
    language: str = "de",
    now: datetime | None = None,
) -> Inquiry:
    """Store a submission (validated by its form) and queue its mails after commit.

    A minor's request waits for the guardian: only the guardian mail goes out now. A second
    submission with the same ``submission_key`` (a double click, a reload) returns the first.
    Validation is the form's and the database's (constraints); ``full_clean`` would cost a
    query per constraint on every submission.
    """
    now = now or timezone.now()
    minor = bool(data.get("is_minor"))
    inquiry = Inquiry(
        kind=kind,
        event=event,
        created_at=now,
        language=language,
        **data,
        receipt_mail=MailState.WAITING if minor else MailState.UNSENT,
        staff_mail=MailState.WAITING if minor else MailState.UNSENT,
        guardian_mail=MailState.UNSENT if minor else MailState.NOT_NEEDED,
    )
    if minor:
        _seal(inquiry)
    try:
        with transaction.atomic():
            if event is not None:
                _take_seat(event_id=event.pk, now=now)
            inquiry.save(force_insert=True)
    except (IntegrityError, RegistrationRefused):
        existing = Inquiry.objects.filter(submission_key=data["submission_key"]).first()
        if existing is None:
            raise
        return existing
    transaction.on_commit(partial(_enqueue_mails, inquiry.pk), robust=True)
    return inquiry


def _seal(inquiry: Inquiry) -> None:
    """Replace what the pupil typed by its ciphertext; the key goes only into the guardian link."""
    values = {field: getattr(inquiry, field) for field in pending.SEALED_FIELDS}
    key, inquiry.sealed_data = pending.seal(values)
    inquiry.guardian_key_hash = pending.key_hash(key)
    inquiry.guardian_key_wrapped = pending.wrap_for_outbox(key)
    for field in pending.SEALED_FIELDS:
        setattr(inquiry, field, "")


def thanks_token(inquiry: Inquiry) -> str:
    return signing.dumps(inquiry.pk, salt=THANKS_SALT)


def inquiry_for_thanks(token: str) -> Inquiry | None:
    """The request a fresh thank-you link names, or None when it is forged or old."""
    try:
        pk = signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        return None
    return Inquiry.objects.filter(pk=pk).select_related("event").first()


def guardian_token(inquiry: Inquiry, *, key: str) -> str:
    """A signed link token naming the request and carrying the key of its ciphertext."""
    return signing.dumps({"i": inquiry.pk, "k": key}, salt=GUARDIAN_SALT)


def _guardian_cutoff(now: datetime) -> datetime:
    return now - timedelta(hours=GUARDIAN_CONFIRMATION_HOURS)


def inquiry_for_guardian(*, token: str, now: datetime | None = None) -> Inquiry:
    """The pending request a guardian link names, opened with the link's key (unsaved);
    GuardianLinkError if it is not usable."""
    now = now or timezone.now()
    try:
        payload = signing.loads(
            token, salt=GUARDIAN_SALT, max_age=timedelta(hours=GUARDIAN_CONFIRMATION_HOURS)
        )
    except signing.SignatureExpired as exc:
        raise GuardianLinkError(_expired_message()) from exc
    except signing.BadSignature as exc:
        raise GuardianLinkError(_("Dieser Link ist ungültig.")) from exc
    inquiry = Inquiry.objects.filter(pk=payload.get("i")).select_related("event").first()
    if inquiry is None or not inquiry.is_minor:
        raise GuardianLinkError(_expired_message())
    key = str(payload.get("k", ""))
    if inquiry.guardian_confirmed_at is not None or not pending.key_matches(
        key, inquiry.guardian_key_hash
    ):
        raise GuardianLinkError(_("Dieser Link wurde bereits verwendet."))
    if inquiry.created_at <= _guardian_cutoff(now):
        raise GuardianLinkError(_expired_message())
    try:
        values = pending.unseal(key=key, ciphertext=inquiry.sealed_data)
    except pending.SealBroken as exc:
        raise GuardianLinkError(_("Dieser Link ist ungültig.")) from exc
    for field in pending.SEALED_FIELDS:
        setattr(inquiry, field, values.get(field, ""))
    return inquiry


def _expired_message() -> str:
    return _(
        "Dieser Link ist abgelaufen. Nicht bestätigte Anfragen löschen wir nach 72 Stunden; "
        "bitte stellen Sie die Anfrage bei Bedarf neu."
    )


def inquiry_guardian_confirm(*, token: str, now: datetime | None = None) -> Inquiry:
    """Record the guardian's consent once: the request is stored readable (the ciphertext and
    the key's traces are wiped), becomes visible to staff, and its mails go out."""
    now = now or timezone.now()
    inquiry = inquiry_for_guardian(token=token, now=now)
    claimed = Inquiry.objects.filter(
        pk=inquiry.pk,
        guardian_key_hash=inquiry.guardian_key_hash,
        guardian_confirmed_at__isnull=True,
        created_at__gt=_guardian_cutoff(now),
    ).update(
        **{field: getattr(inquiry, field) for field in pending.SEALED_FIELDS},
        guardian_confirmed_at=now,
        guardian_key_hash="",
        sealed_data="",
        guardian_key_wrapped="",
        receipt_mail=MailState.UNSENT,
        staff_mail=MailState.UNSENT,
    )
    if not claimed:
        raise GuardianLinkError(_("Dieser Link wurde bereits verwendet."))
    transaction.on_commit(partial(_enqueue_mails, inquiry.pk), robust=True)
    inquiry.refresh_from_db()
    return inquiry


def inquiry_guardian_decline(*, token: str, now: datetime | None = None) -> None:
    """The guardian refuses: the request, ciphertext included, is deleted at once."""
    inquiry = inquiry_for_guardian(token=token, now=now)
    Inquiry.objects.filter(
        pk=inquiry.pk,
        guardian_key_hash=inquiry.guardian_key_hash,
        guardian_confirmed_at__isnull=True,
    ).delete()


def inquiry_set_status(*, inquiry: Inquiry, status: str, now: datetime | None = None) -> Inquiry:
    """Change the status; closing sets ``closed_at`` (the retention rule counts from it)."""
    inquiry.status = status
    if status == Status.CLOSED:
        inquiry.closed_at = inquiry.closed_at or now or timezone.now()
    else:
        inquiry.closed_at = None
    inquiry.save(update_fields=["status", "closed_at"])
    return inquiry


# Mails -------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _receipt(inquiry: Inquiry) -> EmailMessage:
    # No text the visitor typed goes into a mail to the address they typed: the form cannot
    # be used to send someone else a message of the sender's choosing.
    with translation.override(inquiry.language):
        subject = _("Ihre %(kind)s ist bei uns eingegangen (Nr. %(number)s)") % {
            "kind": inquiry.get_kind_display(),
            "number": inquiry.pk,
        }
        body = render_to_string(
            "contact/mail/receipt.txt",
            {"inquiry": inquiry, "policy_url": _absolute(reverse("privacy:policy"))},
        )
    return EmailMessage(subject=subject, body=body, to=[inquiry.email])


def _staff_notification(inquiry: Inquiry) -> EmailMessage:
    # The notification carries no personal data, only where to read the request.
    with translation.override("de"):
        subject = _("Neue %(kind)s Nr. %(number)s") % {
            "kind": inquiry.get_kind_display(),
            "number": inquiry.pk,
        }
        admin_path = reverse("admin:contact_inquiry_change", args=[inquiry.pk])
        body = render_to_string(
            "contact/mail/staff.txt", {"inquiry": inquiry, "admin_url": _absolute(admin_path)}
        )
    return EmailMessage(subject=subject, body=body, to=[settings.CONTACT_STAFF_EMAIL])


def _guardian_request(inquiry: Inquiry) -> EmailMessage:
    with translation.override(inquiry.language):
        key = pending.unwrap_from_outbox(inquiry.guardian_key_wrapped)
        token = guardian_token(inquiry, key=key)
        link = _absolute(reverse("contact:guardian", kwargs={"token": token}))
        subject = _("Bitte um Ihre Zustimmung: Anfrage an die OPTIGEM GmbH")
        body = render_to_string(
            "contact/mail/guardian.txt",
            {
                "inquiry": inquiry,
                "link": link,
                "hours": GUARDIAN_CONFIRMATION_HOURS,
                "promise": pupil_promise(),
            },
        )
    return EmailMessage(subject=subject, body=body, to=[inquiry.guardian_email])


MAILS = (
    ("guardian_mail", _guardian_request),
    ("receipt_mail", _receipt),
    ("staff_mail", _staff_notification),
)


def _deliver(message: EmailMessage, *, label: str) -> str | None:
    """Send one mail; its new state, or None when it must be tried again later."""
    address = message.to[0]
    guard = registry.mail_blocked(address, kind=MailKind.TRANSACTIONAL)
    if guard:
        logger.info("contact.mail.blocked %s guard=%s", label, guard)
        return MailState.BLOCKED
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("contact.mail.failed %s: %s", label, type(exc).__name__)
        return None
    return MailState.SENT


def _mail_claim(*, inquiry_id: int, now: datetime) -> str | None:
    """Claim the request's unsent mails for this worker (one UPDATE, no lock kept); None when
    another worker holds a fresh claim or nothing is unsent."""
    return lease_claim(
        Inquiry.objects.with_unsent_mail(),
        pk=inquiry_id,
        now=now,
        lease=MAIL_CLAIM_LEASE,
        claim_field="mail_claim",
        at_field="mail_claimed_at",
    )


def inquiry_send_mails(*, inquiry_id: int, now: datetime | None = None) -> list[str]:
    """Send the request's UNSENT mails and record each outcome; returns the fields sent.

    Claim, send, settle: the claim is one committed UPDATE, each mail goes out with no
    transaction open, and its state is written after the server accepted it, only while the
    claim is still this worker's. The after-commit task and the sweep therefore never send
    a mail twice, and a slow mail server holds no row lock. A worker that dies after the
    server accepted a mail and before its state was written leaves the claim behind: once
    ``MAIL_CLAIM_LEASE`` has run out the sweep sends that one mail again (a second copy
    rather than a lost receipt or staff notification); every other mail goes out once.
    """
    now = now or timezone.now()
    claim = _mail_claim(inquiry_id=inquiry_id, now=now)
    if claim is None:
        return []
    inquiry = Inquiry.objects.filter(pk=inquiry_id).first()
    sent = []
    try:
        for field, build in MAILS:
            if inquiry is None or getattr(inquiry, field) != MailState.UNSENT:
                continue
            state: str | None
            if field == "guardian_mail" and inquiry.created_at <= _guardian_cutoff(now):
                state = MailState.NOT_NEEDED  # the link could no longer be used
            else:
                state = _deliver(build(inquiry), label=f"{field} inquiry={inquiry.pk}")
            if state is None:
                continue
            settled: dict[str, str] = {field: state}
            if field == "guardian_mail":
                # Settled: from now on only the guardian's link carries the key.
                settled["guardian_key_wrapped"] = ""
            mine = Inquiry.objects.filter(
                pk=inquiry_id, mail_claim=claim, **{field: MailState.UNSENT}
            )
            if mine.update(**settled) and state == MailState.SENT:
                sent.append(field)
    finally:
        Inquiry.objects.filter(pk=inquiry_id, mail_claim=claim).update(
            mail_claim="", mail_claimed_at=None
        )
    return sent


def inquiry_send_unsent_mails(*, now: datetime | None = None) -> int:
    """Send every mail still UNSENT (after a broker or SMTP outage); returns the mails sent."""
    now = now or timezone.now()
    ids = list(
        Inquiry.objects.with_unsent_mail()
        .exclude(mail_claimed_at__gt=now - MAIL_CLAIM_LEASE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    return sum(len(inquiry_send_mails(inquiry_id=pk, now=now)) for pk in ids)
