"""A sending worker killed with SIGKILL mid-send: the next worker finishes, nobody gets two."""

import os
import signal
import time
from collections import Counter

import pytest

from newsletter import delivery
from newsletter.models import Delivery, Mailing
from newsletter.tests import factories
from newsletter.tests.workers import (
    broker,
    make_subscribers,
    start_worker,
    stop,
    wait_until,
    worker_env,
    worker_log,
)

RECIPIENTS = 300
LEASE = 2


@pytest.mark.django_db(transaction=True)
def test_kill_9_mid_send_resumes_without_duplicate_or_loss(postgres, redis_client, smtp_sink):
    redis_client.delete("celery", "newsletter:send-bucket")
    make_subscribers(RECIPIENTS)
    mailing = factories.mailing()
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    assert delivery.deliveries_create(mailing_id=mailing.pk) == RECIPIENTS
    env = worker_env(
        smtp_port=smtp_sink.port,
        NEWSLETTER_RATE_PER_SECOND="150",
        NEWSLETTER_BATCH_SIZE="20",
        NEWSLETTER_CLAIM_LEASE_SECONDS=str(LEASE),
    )
    app = broker()
    first = start_worker(env, "first")
    second = None
    try:
        app.send_task("newsletter.tasks.deliveries_send", args=[mailing.pk])
        assert wait_until(lambda: len(smtp_sink.received) >= RECIPIENTS // 3, timeout=60), (
            worker_log(first)
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = len(smtp_sink.received)
        assert at_kill < RECIPIENTS, "the worker finished before it could be killed"
        time.sleep(LEASE + 0.5)  # the dead worker's claims run out
        second = start_worker(env, "second")
        app.send_task("newsletter.tasks.deliveries_recover")  # what beat does every minute
        assert wait_until(
            lambda: Mailing.objects.get(pk=mailing.pk).status == "sent", timeout=90
        ), delivery.mailing_progress(mailing)
        smtp_sink.wait_for(RECIPIENTS, timeout=5)
    finally:
        stop(first)
        if second:
            stop(second)
    per_recipient = Counter(rcpt for _sender, rcpts, _data in smtp_sink.received for rcpt in rcpts)
    assert set(per_recipient.values()) == {1}, "duplicates"
    # The one window newsletter/transport.py documents: a kill after the row was marked sent and
    # before the final dot reached the server loses that one message rather than doubling it.
    # Where SIGKILL lands is up to the scheduler, so the test admits that one message and no more.
    lost = RECIPIENTS - len(per_recipient)
    assert lost <= 1, f"lost {lost} messages"
    assert Delivery.objects.filter(mailing=mailing, status="sent").count() == RECIPIENTS
    message_ids = Counter(
        line for _s, _r, data in smtp_sink.received for line in data.splitlines()
        if line.lower().startswith(b"message-id:")
    )  # fmt: skip
    assert len(message_ids) == RECIPIENTS - lost
