"""With the broker unreachable, the sign-up still answers and the sweep sends the mail later."""

from http import HTTPStatus

import pytest

from contact.tests import test_mails as contact_mail_tests
from newsletter.models import ConsentText, Subscriber
from newsletter.tasks import send_due_confirmations
from optigem_site.celery import app

pytestmark = pytest.mark.django_db


# The contact tests' fixture: Celery publishes for real to a broker that does not answer.
broker_down = contact_mail_tests.broker_down


def test_sign_up_with_the_broker_down_is_mailed_once_by_the_sweep(
    client, smtp_sink, broker_down, django_capture_on_commit_callbacks, caplog
):
    version = ConsentText.objects.current("de").version
    data = {"email": "blip@example.org", "name": "", "consent": "on", "consent_version": version}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/newsletter/", data)
    assert response.status_code == HTTPStatus.FOUND
    assert "newsletter.confirmation.enqueue_failed" in caplog.text
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmation_due and smtp_sink.received == []

    app.conf.task_always_eager = True  # the broker is back: the beat entry's task runs
    send_due_confirmations.delay()
    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "blip@example.org"
    subscriber.refresh_from_db()
    assert subscriber.confirmation_message_id == message["Message-ID"]
    send_due_confirmations.delay()
    assert len(smtp_sink.received) == 1  # nothing is sent twice
