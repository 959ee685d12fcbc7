"""The cloud's transactional mails: sent unless a registry guard blocks the address."""

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string

from privacy.registry import MailKind, registry

logger = logging.getLogger("cloud.services")


def mail_send(*, to: str, subject: str, template: str, context: dict) -> str | None:
    """Send one transactional mail unless a guard blocks the address; returns the guard's key."""
    blocked = registry.mail_blocked(to, kind=MailKind.TRANSACTIONAL)
    if blocked:
        logger.info("cloud.mail.blocked guard=%s template=%s", blocked, template)
        return blocked
    send_mail(subject, render_to_string(template, context), None, [to])
    return None
