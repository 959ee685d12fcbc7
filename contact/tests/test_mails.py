import socket
import threading
from http import HTTPStatus

import pytest
from django.core import mail

from conftest import free_port
from contact.models import Inquiry, MailState
from contact.tasks import send_unsent_inquiry_mails
from contact.tests.factories import contact_data
from optigem_site.celery import app
from privacy.registry import MailGuard, registry

pytestmark = pytest.mark.django_db


class DeadBroker:
    """A port that accepts connections and drops them at once, counting the attempts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.attempts = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.attempts += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def broker_down():
    """Celery publishes for real (not eagerly) to a broker that does not answer."""
    dead = DeadBroker()
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = f"redis://127.0.0.1:{dead.port}/0"
    yield dead
    app.conf.task_always_eager, app.conf.broker_url = saved
    dead.close()


def test_receipt_and_notification_go_out_over_smtp(
    client, smtp_sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/kontakt/", contact_data())
    messages = smtp_sink.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["erika@example.org", "support@optigem.com"]
    inquiry = Inquiry.objects.get()
    receipt = next(m for m in messages if m["To"] == "erika@example.org")
    assert f"Nr. {inquiry.pk}" in receipt["Subject"]
    assert receipt["From"] == "OPTIGEM GmbH <info@optigem.com>"
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.SENT, MailState.SENT)


def test_with_the_broker_down_the_submission_succeeds_and_the_sweep_sends_later(
    client, smtp_sink, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/kontakt/", contact_data())
    assert response.status_code == HTTPStatus.FOUND
    assert broker_down.attempts == 1  # one try, no retry loop keeping the visitor waiting
    inquiry = Inquiry.objects.get()
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.UNSENT, MailState.UNSENT)
    assert smtp_sink.received == []

    app.conf.task_always_eager = True  # the broker is back: the beat entry's task runs
    send_unsent_inquiry_mails.delay()
    assert len(smtp_sink.wait_for(2)) == 2
    inquiry.refresh_from_db()
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.SENT, MailState.SENT)
    send_unsent_inquiry_mails.delay()
    assert len(smtp_sink.received) == 2  # nothing is sent twice


def test_a_broken_filesystem_queue_does_not_fail_the_submission(
    client, tmp_path, django_capture_on_commit_callbacks
):
    """The demo's broker is a folder; a missing folder raises OSError, not a kombu error."""
    saved = app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options
    missing = str(tmp_path / "missing")
    app.conf.task_always_eager = False
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {"data_folder_in": missing, "data_folder_out": missing}
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/kontakt/", contact_data())
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options = saved
    assert response.status_code == HTTPStatus.FOUND
    assert Inquiry.objects.get().receipt_mail == MailState.UNSENT


def test_with_smtp_down_the_mails_stay_unsent_until_the_sweep(
    client, smtp_sink, settings, django_capture_on_commit_callbacks
):
    options = settings.MAILERS["default"]["OPTIONS"]["options"]
    sink_port, options["port"] = options["port"], free_port()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/kontakt/", contact_data())
    assert response.status_code == HTTPStatus.FOUND
    assert Inquiry.objects.get().receipt_mail == MailState.UNSENT
    options["port"] = sink_port
    send_unsent_inquiry_mails.delay()
    assert len(smtp_sink.wait_for(2)) == 2


def test_the_beat_schedule_runs_the_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["contact-send-unsent-mails"]
    assert entry["task"] == send_unsent_inquiry_mails.name


@pytest.fixture
def blocked_address():
    guard = MailGuard(key="test-block", blocks=lambda address, kind: address == "erika@example.org")
    registry.mail_guards[guard.key] = guard
    yield
    del registry.mail_guards[guard.key]


def test_a_blocked_address_gets_no_receipt_and_the_block_is_recorded(
    client, blocked_address, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/kontakt/", contact_data(email="Erika@Example.org"))
    assert [m.to for m in mail.outbox] == [["support@optigem.com"]]
    inquiry = Inquiry.objects.get()
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.BLOCKED, MailState.SENT)
