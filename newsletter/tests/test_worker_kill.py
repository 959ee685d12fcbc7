"""A sending worker killed with SIGKILL mid-send: the next worker finishes, nobody gets two."""

from collections import Counter

import pytest

from newsletter import delivery
from newsletter.models import Delivery, Mailing
from newsletter.tests import factories
from newsletter.tests.workers import (
    broker,
    kill_mid_send,
    make_subscribers,
    start_worker,
    stop,
    tally,
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
    workers = [start_worker(env, "first")]
    try:
        broker().send_task("newsletter.tasks.deliveries_send", args=[mailing.pk])
        outcome = kill_mid_send(
            workers,
            env=env,
            mailing_id=mailing.pk,
            received=lambda: len(smtp_sink.received),
            after=RECIPIENTS // 3,
            lease=LEASE,
            timeout=90,
        )
        assert outcome.at_kill < RECIPIENTS, "the worker finished before it could be killed"
        assert outcome.finished, (delivery.mailing_progress(mailing), worker_log(workers[0]))
    finally:
        for worker in workers:
            stop(worker)
    per_recipient = Counter(rcpt for _sender, rcpts, _data in smtp_sink.received for rcpt in rcpts)
    lost, duplicated, _counts = tally(per_recipient, RECIPIENTS)
    assert duplicated == 0
    # The one window newsletter/transport.py documents: a kill between queuing the mark on the
    # corked socket and writing the final dot, a few microseconds, loses that one message rather
    # than doubling it. Where SIGKILL lands is up to the scheduler, so the test admits that one
    # message and no more (bench/faults.py case 4 counts it over many kills).
    assert lost <= 1, f"lost {lost} messages"
    assert Delivery.objects.filter(mailing=mailing, status="sent").count() == RECIPIENTS
    message_ids = Counter(
        line for _s, _r, data in smtp_sink.received for line in data.splitlines()
        if line.lower().startswith(b"message-id:")
    )  # fmt: skip
    assert len(message_ids) == RECIPIENTS - lost
