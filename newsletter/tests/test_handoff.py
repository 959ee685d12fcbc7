"""The mark and the final dot: a worker killed right after writing both has sent and marked.

Each test runs the sending in a child process that kills itself with SIGKILL at the worst
moment, when the mark has been written and its answer not yet read, so the kernel is left to
deliver what the sockets hold.
"""

import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from newsletter import delivery
from newsletter.models import Delivery, Mailing
from newsletter.tests import factories
from newsletter.tests.workers import ROOT, wait_until, worker_env

pytestmark = pytest.mark.slow

CHILD = """
import os, signal, django
django.setup()
from newsletter import delivery
def die(mark):
    print("overlaps" if mark.overlaps else "waits", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
delivery.SentMark.confirmed = die
delivery.deliveries_send(mailing_id={mailing_id})
"""


def one_delivery(address: str) -> Mailing:
    factories.subscriber(address)
    mailing = factories.mailing()
    Mailing.objects.filter(pk=mailing.pk).update(status="queued")
    assert delivery.deliveries_create(mailing_id=mailing.pk) == 1
    return mailing


def send_and_die(mailing: Mailing, smtp_port: int, **env: str) -> str:
    child = subprocess.run(
        [sys.executable, "-c", CHILD.format(mailing_id=mailing.pk)],
        cwd=ROOT,
        env=worker_env(smtp_port=smtp_port, NEWSLETTER_RATE_PER_SECOND="1000", **env),
        capture_output=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode(errors="replace")[-3000:]
    return child.stdout.decode().strip()


@pytest.mark.django_db(transaction=True)
def test_killed_after_mark_and_dot_the_message_is_sent_and_marked(
    postgres, redis_client, smtp_sink
):
    redis_client.delete("newsletter:send-bucket")
    mailing = one_delivery("beides@example.org")
    assert send_and_die(mailing, smtp_sink.port) == "overlaps"
    assert wait_until(lambda: len(smtp_sink.received) == 1, timeout=10), "the dot never arrived"
    assert smtp_sink.received[0][1] == ["beides@example.org"]
    # PostgreSQL may still be reading what the dead worker wrote: wait for the commit.
    marked = wait_until(lambda: Delivery.objects.get(mailing=mailing).status == "sent", timeout=10)
    assert marked, "PostgreSQL did not commit the mark the worker wrote"


@pytest.mark.django_db(transaction=True)
def test_a_claim_near_the_end_of_its_lease_waits_for_the_answer_before_the_dot(
    postgres, redis_client, smtp_sink
):
    """The contrast: without the overlap the same kill leaves the row marked and nothing sent.

    A claim older than half its lease may be taken over by another worker at any moment, so
    the mark's answer is read before the dot; a kill then loses the message (never doubles it).
    """
    redis_client.delete("newsletter:send-bucket")
    mailing = one_delivery("wartet@example.org")
    # A lease shorter than the time from claim to hand-off: the claim is never "young".
    assert send_and_die(mailing, smtp_sink.port, NEWSLETTER_CLAIM_LEASE_SECONDS="0") == "waits"
    row = Delivery.objects.get(mailing=mailing)
    assert row.status == "sent"
    assert not wait_until(lambda: smtp_sink.received, timeout=2)


@pytest.mark.django_db(transaction=True)
def test_a_mark_whose_claim_was_taken_over_sends_nothing(postgres, smtp_sink):
    mailing = one_delivery("uebernommen@example.org")
    claim, [row] = delivery.deliveries_claim(mailing_id=mailing.pk, size=10)
    Delivery.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert delivery.deliveries_release_stale() == {mailing.pk}
    report = delivery.SendReport()
    row.claimed_at = timezone.now() - timedelta(hours=1)
    with delivery.Transport() as transport:
        delivery._send_one(row, claim, delivery.Rendered(mailing), transport, Free(), report)
    assert report.lost == 1
    assert not wait_until(lambda: smtp_sink.received, timeout=1)
    assert Delivery.objects.get(pk=row.pk).status == "queued"


class Free:
    """No rate limit."""

    def acquire(self) -> None:
        pass


@pytest.mark.django_db(transaction=True)
def test_the_database_socket_is_uncorked_after_each_hand_off(postgres, redis_client, smtp_sink):
    """A cork left on would hold every later query of the worker back by 200 ms."""
    import os
    import socket

    from django.db import connection

    redis_client.delete("newsletter:send-bucket")
    mailing = one_delivery("korken@example.org")
    report = delivery.deliveries_send(mailing_id=mailing.pk, limiter=Free())
    assert report.sent == 1
    assert smtp_sink.wait_for(1)
    with socket.socket(fileno=os.dup(connection.connection.pgconn.socket)) as handle:
        assert handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 0


@pytest.mark.django_db(transaction=True)
def test_a_dot_that_cannot_be_written_takes_the_mark_back(postgres, redis_client, smtp_sink):
    """The connection breaks while the dot is written: the server has no complete message, so
    the row must not stay 'sent'; released, it is sent again, once."""
    import smtplib

    redis_client.delete("newsletter:send-bucket")
    mailing = one_delivery("abbruch@example.org")
    real_send = smtplib.SMTP.send

    def broken_dot(smtp, data):
        if data == b".\r\n":
            raise ConnectionResetError("the line broke")
        return real_send(smtp, data)

    smtplib.SMTP.send = broken_dot
    try:
        with pytest.raises(ConnectionResetError):
            delivery.deliveries_send(mailing_id=mailing.pk, limiter=Free())
    finally:
        smtplib.SMTP.send = real_send
    assert Delivery.objects.get(mailing=mailing).status == "queued"  # taken back and released
    assert not wait_until(lambda: smtp_sink.received, timeout=1)
    report = delivery.deliveries_send(mailing_id=mailing.pk, limiter=Free())
    assert report.sent == 1
    assert len(smtp_sink.wait_for(1)) == 1
