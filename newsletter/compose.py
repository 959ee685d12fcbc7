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
from django.utils.translation import gettext_lazy as _

from privacy.registry import LegalBasis

from .models import Delivery, Mailing, MailingKind, Relationship
from .rendering import markdown_to_html, markdown_to_text
from .tokens import unsubscribe_token

SMTP_POLICY = email.policy.SMTP.clone(max_line_length=998)
UNSUBSCRIBE_PLACEHOLDER = "__UNSUBSCRIBE_URL__"
TO_PLACEHOLDER = "recipient@placeholder.invalid"
MESSAGE_ID_PLACEHOLDER = "<message-id@placeholder.invalid>"
MAX_LINE = 900


def unsubscribe_base(scope: str, language: str = "de") -> str:
    """The unsubscribe URL of ``scope`` in ``language`` with ``TOKEN`` where the token goes."""
    name = "newsletter:unsubscribe" if scope == "newsletter" else "newsletter:customer_optout"
    with translation.override(language):
        path = reverse(name, kwargs={"token": "TOKEN"})
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_url(*, address_hash: str, scope: str, base: str = "", language: str = "de") -> str:
    token = unsubscribe_token(address_hash=address_hash, scope=scope)
    return (base or unsubscribe_base(scope, language)).replace("TOKEN", token)


class Basis:
    """Why a recipient gets the mail, as the footer states it (the legal basis that applies)."""

    NEWSLETTER = "newsletter"  # a subscriber's consent
    CUSTOMER = "customer"  # existing-customer advertising, § 7 Abs. 3 UWG, with the right to object
    CONSENT = "consent"  # prospects and anyone else: only with their consent


FOOTERS = {
    Basis.NEWSLETTER: (
        _(
            "Sie erhalten diesen Newsletter, weil Sie ihn bei der OPTIGEM GmbH abonniert haben "
            "(Rechtsgrundlage: %(basis)s). Sie können sich jederzeit und ohne Angabe von Gründen "
            "abmelden."
        ),
        LegalBasis.CONSENT.label,
        _("Newsletter abbestellen"),
    ),
    Basis.CUSTOMER: (
        _(
            "Sie erhalten diese Kundenmail als Kunde der OPTIGEM GmbH: Information über eigene "
            "ähnliche Produkte und Leistungen nach § 7 Abs. 3 UWG (Rechtsgrundlage: %(basis)s). "
            "Sie können der Verwendung Ihrer E-Mail-Adresse jederzeit widersprechen, ohne dass "
            "andere als die Übermittlungskosten nach den Basistarifen entstehen."
        ),
        LegalBasis.LEGITIMATE_INTERESTS.label,
        _("Kundenmails abbestellen (E-Mail-Sperre)"),
    ),
    Basis.CONSENT: (
        _(
            "Sie erhalten diese Kundenmail, weil Sie in den Empfang eingewilligt haben "
            "(Rechtsgrundlage: %(basis)s). Sie können Ihre Einwilligung jederzeit mit Wirkung "
            "für die Zukunft widerrufen, ohne Angabe von Gründen."
        ),
        LegalBasis.CONSENT.label,
        _("Kundenmails abbestellen (E-Mail-Sperre)"),
    ),
}


def footer(basis: str) -> tuple[str, str]:
    """(sentence, link label) of the footer for ``basis`` in the active language."""
    sentence, legal_basis, link_label = FOOTERS[basis]
    return str(sentence) % {"basis": legal_basis}, str(link_label)


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
    """A mailing rendered once per language and footer (legal basis).

    The version (subject and body) follows the recipient's language: English where the mailing
    has an English version, else German; the footer and the unsubscribe link are always in the
    recipient's language, so everyone can read how to stop the mails.
    """

    mailing: Mailing
    texts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    templates: dict[tuple[str, str], bytes] = field(default_factory=dict)
    link_bases: dict[str, str] = field(default_factory=dict)

    def link_base(self, language: str) -> str:
        if language not in self.link_bases:
            self.link_bases[language] = unsubscribe_base(self.mailing.scope, language)
        return self.link_bases[language]

    @cached_property
    def prospect_ids(self) -> frozenset[int]:
        """Customers without an existing-customer relationship (loaded once per mailing)."""
        from .models import Customer

        return frozenset(
            Customer.objects.exclude(relationship=Relationship.CUSTOMER).values_list(
                "pk", flat=True
            )
        )

    def basis(self, delivery: Delivery) -> str:
        """The legal basis the footer states for this recipient; never § 7(3) UWG to prospects."""
        if self.mailing.kind == MailingKind.NEWSLETTER:
            return Basis.NEWSLETTER
        if self.mailing.relationship:
            customers = self.mailing.relationship == Relationship.CUSTOMER
        else:
            customers = (
                delivery.customer_id is not None and delivery.customer_id not in self.prospect_ids
            )
        return Basis.CUSTOMER if customers else Basis.CONSENT

    @property
    def test_basis(self) -> str:
        """The footer a test mail shows: the one its audience gets (customers if mixed)."""
        if self.mailing.kind == MailingKind.NEWSLETTER:
            return Basis.NEWSLETTER
        return (
            Basis.CONSENT if self.mailing.relationship == Relationship.PROSPECT else Basis.CUSTOMER
        )

    def subject(self, language: str) -> str:
        return self.mailing.version(language)[0]

    def bodies(self, language: str, basis: str = "") -> tuple[str, str]:
        """(text, html) with the unsubscribe placeholder, lines short enough for 8bit."""
        basis = basis or (
            Basis.NEWSLETTER if self.mailing.kind == MailingKind.NEWSLETTER else Basis.CUSTOMER
        )
        key = (language, basis)
        if key not in self.texts:
            subject, body = self.mailing.version(language)
            with translation.override(language):
                sentence, link_label = footer(basis)
                context = {
                    "subject": subject,
                    "body_html": markdown_to_html(body),
                    "body_text": markdown_to_text(body),
                    "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
                    "footer": sentence,
                    "link_label": link_label,
                    "language": language,
                }
                self.texts[key] = (
                    _short_lines(render_to_string("newsletter/email/mailing.txt", context)),
                    _short_lines(render_to_string("newsletter/email/mailing.html", context)),
                )
        return self.texts[key]

    def headers(self, *, message_id: str, link: str) -> dict[str, str]:
        return {
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        }

    def message(
        self,
        *,
        to: str,
        language: str,
        message_id: str,
        address_hash: str,
        subject: str = "",
        basis: str = "",
    ) -> EmailMultiAlternatives:
        """The message as a Django object, for backends other than SMTP and odd addresses."""
        link = unsubscribe_url(
            address_hash=address_hash, scope=self.mailing.scope, base=self.link_base(language)
        )
        text, html = (
            part.replace(UNSUBSCRIBE_PLACEHOLDER, link) for part in self.bodies(language, basis)
        )
        message = EmailMultiAlternatives(
            subject=subject or self.subject(language),
            body=text,
            to=[to],
            headers=self.headers(message_id=message_id, link=link),
        )
        message.attach_alternative(html, "text/html")
        return message

    def template(self, language: str, basis: str) -> bytes:
        key = (language, basis)
        if key not in self.templates:
            text, html = self.bodies(language, basis)
            msg = email.message.EmailMessage(policy=SMTP_POLICY)
            msg["Subject"] = self.subject(language)
            msg["From"] = settings.DEFAULT_FROM_EMAIL
            msg["To"] = TO_PLACEHOLDER
            msg["Date"] = formatdate(usegmt=True)
            for name, value in self.headers(
                message_id=MESSAGE_ID_PLACEHOLDER, link=UNSUBSCRIBE_PLACEHOLDER
            ).items():
                msg[name] = value
            msg.set_content(text, subtype="plain", charset="utf-8", cte="8bit")
            msg.add_alternative(html, subtype="html", charset="utf-8", cte="8bit")
            self.templates[key] = msg.as_bytes()
        return self.templates[key]

    def outgoing(self, delivery: Delivery, *, subject: str = "", basis: str = "") -> Outgoing:
        basis = basis or self.basis(delivery)
        address_hash = delivery.address_hash
        assert address_hash, "an anonymised delivery is never sent"

        def full() -> EmailMultiAlternatives:
            return self.message(
                to=delivery.address,
                language=delivery.language,
                message_id=delivery.message_id,
                address_hash=address_hash,
                subject=subject,
                basis=basis,
            )

        def fast() -> bytes:
            if subject or not delivery.address.isascii():
                return full().message(policy=SMTP_POLICY).as_bytes()
            link = unsubscribe_url(
                address_hash=address_hash,
                scope=self.mailing.scope,
                base=self.link_base(delivery.language),
            )
            return (
                self.template(delivery.language, basis)
                .replace(TO_PLACEHOLDER.encode(), delivery.address.encode())
                .replace(MESSAGE_ID_PLACEHOLDER.encode(), delivery.message_id.encode())
                .replace(UNSUBSCRIBE_PLACEHOLDER.encode(), link.encode())
            )

        sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        return Outgoing(sender=sender, recipient=delivery.address, as_bytes=fast, as_message=full)
