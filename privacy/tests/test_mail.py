"""The guarded mailers: a blocked recipient is logged by digest and not mailed."""

import logging

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from privacy.mail import KIND_HEADER, kind_header
from privacy.registry import MailGuard, MailKind, registry

pytestmark = pytest.mark.django_db

BLOCKED = "gesperrt@example.org"


@pytest.fixture
def guard(monkeypatch):
    def blocks(address, kind):
        return address == BLOCKED and kind == MailKind.NEWSLETTER

    monkeypatch.setitem(
        registry.mail_guards, "test-guard", MailGuard(key="test-guard", blocks=blocks)
    )


def test_a_blocked_recipient_is_dropped_and_logged_without_the_address(guard, caplog):
    message = EmailMessage(
        subject="Hallo",
        body="Text",
        to=["frei@example.org", BLOCKED.upper()],
        headers=kind_header(MailKind.NEWSLETTER),
    )
    with caplog.at_level(logging.INFO, logger="privacy.mail"):
        assert message.send() == 1
    (sent,) = mail.outbox
    assert sent.to == ["frei@example.org"]
    assert KIND_HEADER not in sent.message()
    assert "test-guard" in caplog.text
    assert BLOCKED not in caplog.text.lower()


def test_a_message_with_only_blocked_recipients_is_not_sent(guard):
    message = EmailMessage(
        subject="Hallo", body="Text", to=[BLOCKED], headers=kind_header("newsletter")
    )
    assert message.send() == 0
    assert mail.outbox == []


def test_the_default_kind_is_transactional(guard):
    assert EmailMessage(subject="Hallo", body="Text", to=[BLOCKED]).send() == 1
    assert mail.outbox[0].to == [BLOCKED]


def test_the_guard_holds_on_the_smtp_path_too(guard, smtp_sink):
    EmailMessage(
        subject="a", body="b", to=[BLOCKED, "x@example.org"], headers=kind_header("newsletter")
    ).send()
    (received,) = smtp_sink.wait_for(1)
    assert smtp_sink.received[0][1] == ["x@example.org"]
    assert KIND_HEADER not in received
