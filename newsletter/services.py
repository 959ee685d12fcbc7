"""State changes of the newsletter app: subscriptions, withdrawals, blocks, mailings."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from email.utils import make_msgid
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from privacy.digests import address_digest, normalise_email
from privacy.publish import publish_once
from privacy.registry import MailKind, registry

from .compose import Rendered
from .delivery import MAIL_KINDS, message_id_domain, recipient_rows
from .models import (
    CONFIRMATION_PERIOD,
    ConsentText,
    Delivery,
    Mailing,
    MailingKind,
    MailingStatus,
    Subscriber,
    SubscriberStatus,
    SuppressionReason,
)
from .suppression import hash_suppressed, suppress, suppress_hash
from .tokens import confirmation_token, read_confirmation_token, read_unsubscribe_token

SUBSCRIBE_FORM = "newsletter-page"

logger = logging.getLogger(__name__)


# Subscribing ---------------------------------------------------------------------------------


def subscription_request(
    *,
    email: str,
    name: str,
    language: str,
    consent: ConsentText,
    form: str = SUBSCRIBE_FORM,
    now: datetime | None = None,
) -> Subscriber | None:
    """Ask for a subscription; a confirmation mail goes out only where one makes sense.

    New and still unconfirmed addresses get a (fresh) confirmation link; confirmed and
    suppressed ones get nothing. The caller answers all four alike, so the form reveals
    nothing about who is on the list.
    """
    now = now or timezone.now()
    address = normalise_email(email)
    if hash_suppressed(address_digest(address), "newsletter"):
        return None
    evidence = {
        "name": name.strip(),
        "language": language,
        "consent_text": consent,
        "consent_version": consent.version,
        "consent_hash": consent.sha256,
        "form": form,
        "requested_at": now,
    }
    try:
        with transaction.atomic():
            current = Subscriber.objects.select_for_update().active().filter(email=address).first()
            if current and current.status == SubscriberStatus.SUBSCRIBED:
                return None
            subscriber = current or Subscriber(email=address)
            recent = (
                subscriber.confirmation_sent_at is not None
                and subscriber.confirmation_sent_at > now - CONFIRMATION_MAIL_INTERVAL
            )
            if recent or subscriber.confirmation_due:
                # One confirmation mail per address per 24 hours: the link already sent (or
                # about to be) stays valid; the request itself is answered as any other.
                return subscriber
            for name_, value in evidence.items():
                setattr(subscriber, name_, value)
            subscriber.confirm_nonce = secrets.token_hex(16)
            subscriber.confirmation_due = True
            subscriber.save()
    except IntegrityError:  # a concurrent request for the same address won
        return None
    _enqueue_confirmation(subscriber.pk)
    return subscriber


# A pending address gets at most one confirmation mail in this period.
CONFIRMATION_MAIL_INTERVAL = timedelta(hours=24)


def _enqueue_confirmation(subscriber_id: int) -> None:
    """Hand the owed confirmation mail to Celery once the row is committed; with the broker
    down the visitor's request has succeeded all the same and the periodic sweep sends it."""
    from .tasks import subscription_confirmation_send

    transaction.on_commit(
        partial(
            publish_once,
            subscription_confirmation_send,
            subscriber_id,
            event=f"newsletter.confirmation.enqueue_failed subscriber={subscriber_id}",
        )
    )


def confirmations_due() -> list[int]:
    """The pending subscribers whose confirmation mail is owed and still useful (for the sweep)."""
    cutoff = timezone.now() - CONFIRMATION_PERIOD
    return list(
        Subscriber.objects.filter(
            status=SubscriberStatus.PENDING, confirmation_due=True, requested_at__gt=cutoff
        ).values_list("pk", flat=True)
    )


def confirmation_url(subscriber: Subscriber) -> str:
    token = confirmation_token(subscriber_id=subscriber.pk, nonce=subscriber.confirm_nonce)
    with translation.override(subscriber.language):
        path = reverse("newsletter:confirm", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


def subscription_confirmation_send(*, subscriber_id: int) -> str | None:
    """Mail the confirmation link and keep the mail's Message-ID as part of the evidence."""
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=SubscriberStatus.PENDING, confirmation_due=True
    ).first()
    if subscriber is None or not subscriber.confirm_nonce:
        return None
    if registry.mail_blocked(subscriber.email, kind=MailKind.TRANSACTIONAL):
        Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_due=False)
        return None
    message_id = make_msgid(domain=message_id_domain())
    # Claim the owed mail by recording its Message-ID first: a retry or a second worker finds
    # nothing owed and sends nothing (at most once; a failed hand-off gives the claim back).
    claimed = Subscriber.objects.filter(pk=subscriber.pk, confirmation_due=True).update(
        confirmation_due=False, confirmation_message_id=message_id
    )
    if not claimed:
        return None
    context = {"confirm_url": confirmation_url(subscriber)}
    with translation.override(subscriber.language):
        subject = render_to_string("newsletter/email/confirm_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("newsletter/email/confirm.txt", context),
            to=[subscriber.email],
            headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(
            render_to_string("newsletter/email/confirm.html", context), "text/html"
        )
    try:
        message.send()
    except Exception:
        Subscriber.objects.filter(pk=subscriber.pk, confirmation_message_id=message_id).update(
            confirmation_due=True
        )
        raise
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=timezone.now())
    return message_id


def subscription_confirm(*, token: str, now: datetime | None = None) -> Subscriber | None:
    """Confirm with a link's token: signed, at most 72 hours old, and usable once."""
    now = now or timezone.now()
    payload = read_confirmation_token(token)
    if payload is None:
        return None
    subscriber_id, nonce = payload
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(pk=subscriber_id, status=SubscriberStatus.PENDING, confirm_nonce=nonce)
            .first()
        )
        if subscriber is None or now > subscriber.confirmation_expires_at:
            return None
        if hash_suppressed(subscriber.address_hash, "newsletter"):
            return None
        subscriber.status = SubscriberStatus.SUBSCRIBED
        subscriber.confirmed_at = now
        subscriber.confirm_nonce = ""
        subscriber.save(update_fields=["status", "confirmed_at", "confirm_nonce"])
    return subscriber


def subscription_check_token(token: str) -> bool:
    """Whether a confirmation link is still good (for the page shown before the button)."""
    payload = read_confirmation_token(token)
    return (
        payload is not None
        and Subscriber.objects.filter(
            pk=payload[0], status=SubscriberStatus.PENDING, confirm_nonce=payload[1]
        ).exists()
    )


# Withdrawing and blocking --------------------------------------------------------------------


def subscription_withdraw_hash(
    *, hashed: str, channel: str, reference: str = "", now: datetime | None = None
) -> int:
    """End every active subscription of an address (by its hash); returns how many."""
    return (
        Subscriber.objects.active()
        .filter(address_hash=hashed)
        .update(
            status=SubscriberStatus.UNSUBSCRIBED,
            unsubscribed_at=now or timezone.now(),
            unsubscribe_channel=channel,
            unsubscribe_reference=reference,
            confirm_nonce="",
        )
    )


def unsubscribe_with_token(
    *, token: str, scope: str, channel: str, now: datetime | None = None
) -> bool:
    """Act on an unsubscribe link: end the newsletter, or set the E-Mail-Sperre for customer mails."""
    hashed = read_unsubscribe_token(token, scope=scope)
    if hashed is None:
        return False
    now = now or timezone.now()
    if scope == "newsletter":
        subscription_withdraw_hash(hashed=hashed, channel=channel, now=now)
    else:
        suppress_hash(
            hashed,
            scope="customer",
            reason=SuppressionReason.OPT_OUT,
            channel=channel,
            on=timezone.localdate(now),
        )
    return True


def unsubscription_record_written(
    *,
    email: str,
    newsletter: bool,
    customer_mails: bool,
    channel: str,
    on: date,
    reference: str = "",
    now: datetime | None = None,
) -> int:
    """Record a written unsubscription (letter, e-mail, fax…) with its date and file reference.

    The newsletter subscription ends with the channel and reference as proof; customer mails
    get the E-Mail-Sperre. Returns the number of newsletter subscriptions ended.
    """
    hashed = address_digest(email)
    ended = 0
    if newsletter:
        moment = now or timezone.make_aware(datetime.combine(on, datetime.min.time()))
        ended = subscription_withdraw_hash(
            hashed=hashed, channel=channel, reference=reference, now=moment
        )
    if customer_mails:
        suppress(
            email,
            scope="customer",
            reason=SuppressionReason.WRITTEN_REQUEST,
            channel=channel,
            on=on,
            reference=reference,
        )
    return ended


# Mailings ------------------------------------------------------------------------------------


class SecondIssueInQuarter(Exception):
    """A newsletter issue already went out this quarter and no reason was given for another."""

    def __init__(self, earlier: list[Mailing]):
        super().__init__(earlier)
        self.earlier = earlier


def mailing_earlier_issues(mailing: Mailing, *, now: datetime | None = None) -> list[Mailing]:
    """Other newsletter issues sent this quarter (the policy promises one a quarter, §2.5)."""
    if mailing.kind != MailingKind.NEWSLETTER:
        return []
    issues = Mailing.objects.newsletters_in_quarter(now=now or timezone.now())
    return list(issues.exclude(pk=mailing.pk))


def mailing_send(
    *, mailing: Mailing, now: datetime | None = None, extra_issue_reason: str = ""
) -> bool:
    """Start sending: the rows are written by a task after commit, then workers send them.

    A second newsletter issue in the same quarter needs ``extra_issue_reason``; without one
    ``SecondIssueInQuarter`` is raised and nothing changes. The reason is kept on the mailing.
    """
    now = now or timezone.now()
    reason = extra_issue_reason.strip()
    with transaction.atomic():
        if mailing.kind == MailingKind.NEWSLETTER:
            # Two issues sent at the same moment must not both find the quarter empty: the
            # second waits for the first's row lock and then sees its queued_at.
            list(
                Mailing.objects.select_for_update()
                .filter(kind=MailingKind.NEWSLETTER)
                .values_list("pk", flat=True)
            )
        if earlier := mailing_earlier_issues(mailing, now=now):
            if not reason:
                raise SecondIssueInQuarter(earlier)
        else:
            reason = ""
        updated = Mailing.objects.filter(pk=mailing.pk, status=MailingStatus.DRAFT).update(
            status=MailingStatus.QUEUED, queued_at=now, extra_issue_reason=reason
        )
    if updated:
        from .tasks import mailing_queue

        mailing_queue.delay_on_commit(mailing.pk)
    return bool(updated)


def mailing_audience_size(mailing: Mailing) -> int:
    """How many recipients the mailing would have now (suppressed addresses left out)."""
    return recipient_rows(mailing).count()


def mailing_send_test(*, mailing: Mailing, to: str) -> str | None:
    """Send each version of the mailing to one staff address, marked as a test.

    One mail per language the mailing is written in (German, and English if there is one),
    each with its own footer and unsubscribe link; no delivery row is written. The test goes
    through the same guard as every other mail of the mailing's kind and the default mail
    connection. Returns the key of the guard that blocked it, or None when sent.
    """

    blocked = registry.mail_blocked(to, kind=MAIL_KINDS[mailing.kind])
    if blocked:
        return blocked
    rendered = Rendered(mailing)
    for language in mailing.languages:
        probe = Delivery(
            address=normalise_email(to),
            address_hash=address_digest(to),
            language=language,
            message_id=make_msgid(domain=message_id_domain()),
        )
        mark = "[TEST]" if len(mailing.languages) == 1 else f"[TEST {language.upper()}]"
        subject = f"{mark} {rendered.subject(language)}"
        rendered.outgoing(probe, subject=subject, basis=rendered.test_basis).as_message().send()
    return None
