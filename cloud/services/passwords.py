"""Password reset ("Passwort vergessen"): a request queues a mail; its link is made when sent.

The row names the user, never a token: the link (Django's reset token from ``cloud/tokens.py``)
is generated when the mail goes out, so nothing stored opens an account. The request does not
wait for the mail server: its answer never hangs on SMTP, and for a known address it costs
only an INSERT and one publish to the broker more than for an unknown one.
"""

import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ..models import MailKind, OutgoingMail
from ..tokens import password_reset_token, reset_link_lifetime
from .mails import Letter, outgoing_mails_queue

BODY_TEMPLATE = "cloud/mail/password_reset.txt"
SUBJECT_TEMPLATE = "cloud/mail/password_reset_subject.txt"


def _same_address(one: str, other: str) -> bool:
    def fold(address: str) -> str:
        return unicodedata.normalize("NFKC", address).casefold()

    return fold(one) == fold(other)


def reset_allowed(user, *, address: str) -> bool:
    """Whether ``user`` may get a reset link at ``address``: an active CX user with a password,
    not staff (a superuser sets staff passwords, so a mailbox never opens the admin's first
    step), whose address it still is."""
    return (
        user.is_active
        and user.has_usable_password()
        and hasattr(user, "cloud_account")
        and not (user.is_staff or user.is_superuser)
        and _same_address(address, user.email)
    )


def password_reset_request(*, email: str, language: str) -> int:
    """Queue a reset mail to each CX user of the address; returns how many (0 for an unknown
    address: nothing is written)."""
    users = [
        user
        for user in get_user_model()
        ._default_manager.filter(email__iexact=email, is_active=True)
        .select_related("cloud_account")
        if reset_allowed(user, address=email)
    ]
    outgoing_mails_queue(
        mails=[
            OutgoingMail(
                kind=MailKind.PASSWORD_RESET, recipient=user.email, user=user, language=language
            )
            for user in users
        ]
    )
    return len(users)


def password_reset_mail(mail: OutgoingMail, *, now: datetime) -> Letter | None:
    """The reset mail with a fresh link, or None when it no longer holds: the account changed
    (deactivated, another address, made staff), or it was asked for longer ago than a link
    lives (the person has asked again or given up; a late link would surprise them)."""
    user = mail.user
    asked_long_ago = mail.created_at <= now - timedelta(
        seconds=settings.CLOUD_PASSWORD_RESET_TIMEOUT
    )
    if user is None or asked_long_ago or not reset_allowed(user, address=mail.recipient):
        return None
    context = {
        "site_url": settings.SITE_URL,
        "valid_for": reset_link_lifetime(),
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": password_reset_token.make_token(user),
    }
    subject = "".join(render_to_string(SUBJECT_TEMPLATE, context).splitlines())
    return Letter(subject=subject, template=BODY_TEMPLATE, context=context)
