"""Composing mailings: rendered once per language, then one set of bytes per recipient.

Building a MIME message per recipient with the ``email`` package costs milliseconds; here the
message is built once per language with placeholders for the recipient, the Message-ID and the
unsubscribe link, in 8bit transfer encoding so the placeholders stay literal, and each
recipient's copy is three byte replacements. Lines are kept under 998 octets (RFC 5322).
Recipients whose address is not ASCII fall back to building the message in full.

Headers are written with a line limit of 998 instead of 78, so ``List-Unsubscribe`` stays one
plain ``<https://…>`` value: folded, Python would encode it as RFC 2047 words, which mail
programs cannot use for the one-click unsubscribe (RFC 8058).
"""

from __future__ import annotations

import email.message
import email.policy
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property

from .models import Delivery, Mailing, MailingKind
from .rendering import markdown_to_html, markdown_to_text
from .tokens import unsubscribe_token

SMTP_POLICY = email.policy.SMTP.clone(max_line_length=998)
UNSUBSCRIBE_PLACEHOLDER = "__UNSUBSCRIBE_URL__"
TO_PLACEHOLDER = "recipient@placeholder.invalid"
MESSAGE_ID_PLACEHOLDER = "<message-id@placeholder.invalid>"
MAX_LINE = 900


def unsubscribe_base(scope: str) -> str:
    """The unsubscribe URL of ``scope`` with ``TOKEN`` where each recipient's token goes."""
    name = "newsletter:unsubscribe" if scope == "newsletter" else "newsletter:customer_optout"
    with translation.override("de"):
        path = reverse(name, kwargs={"token": "TOKEN"})
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(*, address_hash: str, scope: str, base: str = "") -> str:
    token = unsubscribe_token(address_hash=address_hash, scope=scope)
    return (base or unsubscribe_base(scope)).replace("TOKEN", token)


def _short_lines(text: str) -> str:
    """Break lines longer than the 8bit limit at spaces (HTML and text both allow it)."""
    lines = []
    for line in text.splitlines():
        if len(line.encode()) <= MAX_LINE:
            lines.append(line)
        else:
            lines.extend(
                textwrap.wrap(
                    line, width=MAX_LINE // 4, break_long_words=False, break_on_hyphens=False
                )
            )
    return "\n".join(lines) + "\n"


@dataclass
class Outgoing:
    """One recipient's message: envelope, and the message as bytes or as a Django message."""

    sender: str
    recipient: str
    as_bytes: Callable[[], bytes]
    as_message: Callable[[], EmailMessage]


@dataclass
class Rendered:
    """A mailing rendered once per language."""

    mailing: Mailing
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)
    templates: dict[str, bytes] = field(default_factory=dict)

    @cached_property
    def link_base(self) -> str:
        return unsubscribe_base(self.mailing.scope)

    def bodies(self, language: str) -> tuple[str, str]:
        """(text, html) with the unsubscribe placeholder, lines short enough for 8bit."""
        if language not in self.texts:
            context = {
                "mailing": self.mailing,
                "body_html": markdown_to_html(self.mailing.body),
                "body_text": markdown_to_text(self.mailing.body),
                "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
                "is_newsletter": self.mailing.kind == MailingKind.NEWSLETTER,
            }
            with translation.override(language):
                self.texts[language] = (
                    _short_lines(render_to_string("newsletter/email/mailing.txt", context)),
                    _short_lines(render_to_string("newsletter/email/mailing.html", context)),
                )
        return self.texts[language]

    def headers(self, *, message_id: str, link: str) -> dict[str, str]:
        return {
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        }

    def message(
        self, *, to: str, language: str, message_id: str, address_hash: str, subject: str = ""
    ) -> EmailMultiAlternatives:
        """The message as a Django object, for backends other than SMTP and odd addresses."""
        link = unsubscribe_url(address_hash=address_hash, scope=self.mailing.scope)
        text, html = (part.replace(UNSUBSCRIBE_PLACEHOLDER, link) for part in self.bodies(language))
        message = EmailMultiAlternatives(
            subject=subject or self.mailing.subject,
            body=text,
            to=[to],
            headers=self.headers(message_id=message_id, link=link),
        )
        message.attach_alternative(html, "text/html")
        return message

    def template(self, language: str) -> bytes:
        if language not in self.templates:
            text, html = self.bodies(language)
            msg = email.message.EmailMessage(policy=SMTP_POLICY)
            msg["Subject"] = self.mailing.subject
            msg["From"] = settings.DEFAULT_FROM_EMAIL
            msg["To"] = TO_PLACEHOLDER
            msg["Date"] = formatdate(usegmt=True)
            for name, value in self.headers(
                message_id=MESSAGE_ID_PLACEHOLDER, link=UNSUBSCRIBE_PLACEHOLDER
            ).items():
                msg[name] = value
            msg.set_content(text, subtype="plain", charset="utf-8", cte="8bit")
            msg.add_alternative(html, subtype="html", charset="utf-8", cte="8bit")
            self.templates[language] = msg.as_bytes()
        return self.templates[language]

    def outgoing(self, delivery: Delivery, *, subject: str = "") -> Outgoing:
        address_hash = delivery.address_hash
        assert address_hash, "an anonymised delivery is never sent"

        def full() -> EmailMultiAlternatives:
            return self.message(
                to=delivery.address,
                language=delivery.language,
                message_id=delivery.message_id,
                address_hash=address_hash,
                subject=subject,
            )

        def fast() -> bytes:
            if subject or not delivery.address.isascii():
                return full().message(policy=SMTP_POLICY).as_bytes()
            link = unsubscribe_url(
                address_hash=address_hash, scope=self.mailing.scope, base=self.link_base
            )
            return (
                self.template(delivery.language)
                .replace(TO_PLACEHOLDER.encode(), delivery.address.encode())
                .replace(MESSAGE_ID_PLACEHOLDER.encode(), delivery.message_id.encode())
                .replace(UNSUBSCRIBE_PLACEHOLDER.encode(), link.encode())
            )

        sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        return Outgoing(sender=sender, recipient=delivery.address, as_bytes=fast, as_message=full)
