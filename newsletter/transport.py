"""Handing one message to the mail server so that "marked sent" and "sent" cannot drift apart.

For SMTP the row is marked sent in the database *before* the final ``.`` of the DATA command
is written. A server discards a message whose DATA never ended (RFC 5321, 4.1.1.4), so a
worker killed before the mark left it is harmless (the server never accepted the message; the
row is sent again later, with the same Message-ID). The mark is conditional on the worker
still holding its claim on the row.

While the claim is young (``Commit.overlaps``), the mark is queued on a corked database
socket, the final dot is written, and only then is the mark released and both answers read:
once both are in the kernel's send buffers, a worker killed even by SIGKILL has both delivered
(the kernel sends what a closed socket still holds), so PostgreSQL commits the mark and the
server takes the message. What remains is the time between two ``write()`` calls, a few
microseconds in which no other process is woken, where a crash loses one message instead of
doubling it. A claim near the end of its lease (another worker
may take the row over any moment) waits for the database's answer before the dot instead, and
a lost claim drops the connection without the dot, so nothing is delivered twice.

Other backends (console in the demo, locmem in tests) get the mark first, then the message.

The connection is the guarded ``newsletter`` mailer (``settings.MAILERS``, privacy/mail.py):
a recipient its guards block gets nothing and the hand-off answers ``BLOCKED``.
"""

from __future__ import annotations

import contextlib
import email.policy
import enum
import logging
import re
import smtplib
import socket
from typing import Protocol

from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from privacy.mail import blocked_by
from privacy.registry import MailKind

from .compose import Outgoing

MAILER = "newsletter"
logger = logging.getLogger("newsletter.transport")


class Result(enum.Enum):
    ACCEPTED = "accepted"
    LOST_CLAIM = "lost-claim"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    BLOCKED = "blocked"


class HandOff:
    """The outcome of one hand-off: the result, the SMTP code, and whether it was committed."""

    def __init__(self, result: Result, code: int = 0, committed: bool = False, guard: str = ""):
        self.result, self.code, self.committed = result, code, committed
        self.guard = guard  # the key of the mail guard that blocked the recipient

    def __repr__(self):
        return f"HandOff({self.result.value}, {self.code}, committed={self.committed})"


class Commit(Protocol):
    """Marks one row sent: ``write()`` sends the mark, ``confirmed()`` waits for its answer
    (whether the claim still held). With ``overlaps`` the final dot is written between the
    two; otherwise ``write()`` already waits. ``abandon()`` is called when the hand-off broke off
    after ``write()``: it settles the mark, and takes it back unless the dot was written."""

    overlaps: bool

    def write(self) -> None: ...

    def confirmed(self) -> bool: ...

    def abandon(self, *, delivered: bool) -> None: ...


_LEADING_DOT = re.compile(rb"(?m)^\.")
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")


def _classify(code: int) -> Result:
    return Result.TEMPORARY if 400 <= code < 500 else Result.PERMANENT


class Transport:
    """One open connection to the configured mail backend, reused for a batch of messages."""

    def __init__(self):
        # The guarded mailer's inner backend: this module speaks SMTP itself and asks the
        # guard per message in send(), since the hand-off bypasses send_messages().
        self.backend = mailers[MAILER].inner
        self.smtp = isinstance(self.backend, SmtpBackend)
        self._tuned: smtplib.SMTP | None = None
        self._envelope: dict[str, str] = {}

    def __enter__(self) -> Transport:
        self.backend.open()
        return self

    def __exit__(self, *exc) -> None:
        self.backend.close()

    def send(
        self, outgoing: Outgoing, commit: Commit, *, kind: str = MailKind.NEWSLETTER
    ) -> HandOff:
        if guard := blocked_by(outgoing.recipient, kind=kind):
            return HandOff(Result.BLOCKED, guard=guard)
        if not self.smtp:
            commit.write()
            if not commit.confirmed():
                return HandOff(Result.LOST_CLAIM)
            self.backend.send_messages([outgoing.as_message()])
            return HandOff(Result.ACCEPTED, 250, committed=True)
        try:
            return self._smtp_send(outgoing, commit)
        except BaseException:  # an unfinished DATA must not reach the server as a message
            self._reset()
            raise

    def _connection(self) -> smtplib.SMTP:
        self.backend.open()
        smtp = self.backend.connection
        if smtp is not self._tuned:
            # The final dot is a separate small write: without TCP_NODELAY, Nagle's algorithm
            # holds it back until the server's delayed ACK, about 40 ms per message.
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._tuned = smtp
        return smtp

    def _prepared(self, address: str) -> str:
        """The envelope address; the header parser runs once per distinct address form."""
        if address not in self._envelope:
            if len(self._envelope) > 16:
                self._envelope.clear()
            self._envelope[address] = self.backend.prep_address(address)
        return self._envelope[address]

    def _reset(self) -> None:
        """Drop the connection (discarding any unfinished DATA) and open a new one lazily."""
        connection, self.backend.connection = self.backend.connection, None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def _smtp_send(self, outgoing: Outgoing, commit: Commit) -> HandOff:
        smtp = self._connection()
        smtp.ehlo_or_helo_if_needed()
        sender = self._prepared(outgoing.sender)
        recipient = outgoing.recipient
        if not PLAIN_ADDRESS.fullmatch(recipient):  # parse only what is not a plain addr-spec
            recipient = self.backend.prep_address(recipient)
        if smtp.has_extn("8bitmime"):
            options, data = ["BODY=8BITMIME"], outgoing.as_bytes()
        else:  # a server without 8BITMIME gets quoted-printable, built in full
            options = []
            data = outgoing.as_message().message(policy=email.policy.SMTP).as_bytes()
        for command in (lambda: smtp.mail(sender, options), lambda: smtp.rcpt(recipient)):
            code, _reply = command()
            if code not in (250, 251):
                smtp.rset()
                return HandOff(_classify(code), code)
        code, _reply = smtp.docmd("data")
        if code != 354:
            smtp.rset()
            return HandOff(_classify(code), code)
        payload = _LEADING_DOT.sub(b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        smtp.send(payload)
        commit.write()
        if not commit.overlaps and not commit.confirmed():
            self._reset()
            return HandOff(Result.LOST_CLAIM)
        dot_written = False
        try:
            smtp.send(b".\r\n")  # with overlaps: the mark is held back until confirmed()
            dot_written = True
            held = commit.confirmed()
        except BaseException:
            commit.abandon(delivered=dot_written)
            raise
        code, _reply = smtp.getreply()
        if not held:  # the lease ran out within a send although the claim looked young
            logger.warning("newsletter.handoff.claim-lost-after-dot code=%s", code)
            return HandOff(Result.LOST_CLAIM, code)
        if code == 250:
            return HandOff(Result.ACCEPTED, code, committed=True)
        return HandOff(_classify(code), code, committed=True)
