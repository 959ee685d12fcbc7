"""The guarded mailer: every message passes the registry's mail guards before any backend.

``settings.MAILERS`` names ``GuardedBackend`` for the default mailer and for the newsletter's
hand-off mailer; the real backend (SMTP from ``EMAIL_URL``, console in the demo, locmem in
tests) sits underneath as ``OPTIONS["backend"]`` with its own ``OPTIONS["options"]``.

A message says what kind of mail it is in the ``X-Optigem-Mail-Kind`` header (a
``MailKind`` value, default transactional); the header is removed before the message leaves.
Each recipient the registry blocks for that kind is dropped and logged under the guard's key
and the address digest, never the address; a message left without recipients is not sent.
"""

from __future__ import annotations

import copy
import logging

from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

from .digests import address_digest
from .registry import MailKind, registry

KIND_HEADER = "X-Optigem-Mail-Kind"
logger = logging.getLogger("privacy.mail")


def kind_header(kind: str) -> dict[str, str]:
    """The header that marks a message's kind: ``EmailMessage(headers=kind_header(...))``."""
    return {KIND_HEADER: MailKind(kind).value}


def blocked_by(address: str, *, kind: str) -> str | None:
    """The key of the guard that blocks ``address`` for ``kind``; a block is logged."""
    key = registry.mail_blocked(address, kind=kind)
    if key:
        logger.info(
            "mail not sent: guard %s blocks a %s recipient (digest %s)",
            key,
            kind,
            address_digest(address)[:16],
        )
    return key


def _message_kind(message) -> str:
    headers = message.extra_headers
    for name in list(headers):
        if name.lower() == KIND_HEADER.lower():
            return MailKind(headers[name]).value
    return MailKind.TRANSACTIONAL.value


def _without_kind_header(message):
    message.extra_headers = {
        name: value
        for name, value in message.extra_headers.items()
        if name.lower() != KIND_HEADER.lower()
    }
    return message


class GuardedBackend(BaseEmailBackend):
    """A mail backend that asks ``registry.mail_blocked`` for every recipient first."""

    def __init__(self, *, backend: str, options: dict | None = None, alias=None, **kwargs):
        super().__init__(alias=alias, **kwargs)
        # The inner backend gets the same alias: it was configured through MAILERS, so it must
        # not fall back to the deprecated EMAIL_* settings.
        self.inner = import_string(backend)(alias=alias, **(options or {}))

    def open(self):
        return self.inner.open()

    def close(self):
        return self.inner.close()

    def guarded(self, message):
        """A copy of ``message`` with only the recipients the guards allow, or None."""
        kind = _message_kind(message)
        allowed = {}
        for field in ("to", "cc", "bcc"):
            allowed[field] = [a for a in getattr(message, field) if not blocked_by(a, kind=kind)]
        if not any(allowed.values()):
            return None
        checked = copy.copy(message)
        checked.extra_headers = dict(message.extra_headers)
        for field, addresses in allowed.items():
            setattr(checked, field, addresses)
        return _without_kind_header(checked)

    def send_messages(self, email_messages):
        allowed = [m for m in (self.guarded(message) for message in email_messages) if m]
        if not allowed:
            return 0
        return self.inner.send_messages(allowed)
