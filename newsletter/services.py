"""State changes of the newsletter app: subscriptions, withdrawals, blocks, mailings."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from privacy.registry import MailKind, address_digest, normalise_email, registry

from .compose import Rendered
from .delivery import MAIL_KINDS, message_id_domain, recipient_rows
from .models import (
    ConsentText,
    Delivery,
    Mailing,
    MailingStatus,
    Subscriber,
    SubscriberStatus,
    SuppressionReason,
)
from .suppression import hash_suppressed, suppress, suppress_hash
from .tokens import confirmation_token, read_confirmation_token, read_unsubscribe_token
from .transport import Result, Transport

SUBSCRIBE_FORM = "newsletter-page"


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
        "confirm_nonce": secrets.token_hex(16),
    }
    try:
        with transaction.atomic():
            current = Subscriber.objects.select_for_update().active().filter(email=address).first()
            if current and current.status == SubscriberStatus.SUBSCRIBED:
                return None
            subscriber = current or Subscriber(email=address)
            for name_, value in evidence.items():
                setattr(subscriber, name_, value)
            subscriber.save()
    except IntegrityError:  # a concurrent request for the same address won
        return None
    from .tasks import subscription_confirmation_send

    subscription_confirmation_send.delay_on_commit(subscriber.pk)
    return subscriber


def confirmation_url(subscriber: Subscriber) -> str:
    token = confirmation_token(subscriber_id=subscriber.pk, nonce=subscriber.confirm_nonce)
    with translation.override(subscriber.language):
        path = reverse("newsletter:confirm", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


def subscription_confirmation_send(*, subscriber_id: int) -> str | None:
    """Mail the confirmation link and keep the mail's Message-ID as part of the evidence."""
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=SubscriberStatus.PENDING
    ).first()
    if subscriber is None or not subscriber.confirm_nonce:
        return None
    if registry.mail_blocked(subscriber.email, kind=MailKind.TRANSACTIONAL):
        return None
    message_id = make_msgid(domain=message_id_domain())
    context = {"subscriber": subscriber, "confirm_url": confirmation_url(subscriber)}
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
    message.send()
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_message_id=message_id)
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


def mailing_send(*, mailing: Mailing, now: datetime | None = None) -> bool:
    """Start sending: the rows are written by a task after commit, then workers send them."""
    updated = Mailing.objects.filter(pk=mailing.pk, status=MailingStatus.DRAFT).update(
        status=MailingStatus.QUEUED, queued_at=now or timezone.now()
    )
    if updated:
        from .tasks import mailing_queue

        mailing_queue.delay_on_commit(mailing.pk)
    return bool(updated)


def mailing_audience_size(mailing: Mailing) -> int:
    """How many recipients the mailing would have now (suppressed addresses left out)."""
    return recipient_rows(mailing).count()


def mailing_send_test(*, mailing: Mailing, to: str) -> bool:
    """Send the mailing to one staff address, marked as a test; no delivery row is written.

    The test send passes the same mail guards as the mailing; False when one blocks ``to``.
    """
    probe = Delivery(
        address=normalise_email(to),
        address_hash=address_digest(to),
        language=translation.get_language() or "de",
        message_id=make_msgid(domain=message_id_domain()),
    )
    outgoing = Rendered(mailing).outgoing(probe, subject=f"[TEST] {mailing.subject}")
    with Transport() as transport:
        outcome = transport.send(outgoing, commit=lambda: True, kind=MAIL_KINDS[mailing.kind])
    return outcome.result is not Result.BLOCKED
