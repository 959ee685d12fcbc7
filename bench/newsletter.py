"""Benchmark: one newsletter issue to N confirmed subscribers through real Celery workers.

    DATABASE_URL=postgres://… REDIS_URL=redis://… \
        nice -n 10 .venv/bin/python bench/newsletter.py --recipients 100000 --workers 2 --kill

Prints messages per second for the workers and for a plain smtplib loop sending the same
messages over one connection (pre-built, so it measures SMTP alone), their ratio, the peak
resident memory of each worker process (VmHWM), and, with --kill, how many messages each
recipient received after one worker was killed with SIGKILL mid-send and replaced.
Everything goes to a local SMTP sink on 127.0.0.1; the bench's subscribers (under the
domain bench.invalid) and its mailing are deleted afterwards.
"""

import argparse
import logging
import os
import smtplib
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.dev")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from conftest import free_port  # noqa: E402
from newsletter import delivery  # noqa: E402
from newsletter.compose import Rendered  # noqa: E402
from newsletter.models import Delivery, Mailing, Subscriber  # noqa: E402
from newsletter.tests.workers import (  # noqa: E402
    broker,
    kill_mid_send,
    make_subscribers,
    start_worker,
    stop,
    tally,
    wait_until,
    worker_env,
)

DOMAIN = "bench.invalid"
SUBJECT = "Bench: newsletter/delivery"


class Sink:
    """An SMTP server that counts messages per recipient."""

    def __init__(self):
        self.per_recipient: Counter[str] = Counter()
        self.total = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.total += 1
            self.per_recipient.update(envelope.rcpt_tos)
        return "250 OK"


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def baseline(mailing: Mailing, count: int, port: int, sink: Sink) -> float:
    """A plain smtplib loop over one connection, messages built beforehand."""
    rows = list(Delivery.objects.filter(mailing=mailing).order_by("pk")[:1])
    outgoing = Rendered(mailing).outgoing(rows[0])
    template, sender = outgoing.as_bytes(), outgoing.sender
    first = rows[0].address.encode()
    start_total = sink.total
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            address = f"baseline{n}@{DOMAIN}"
            smtp.sendmail(sender, [address], template.replace(first, address.encode()))
    elapsed = time.perf_counter() - started
    assert sink.total - start_total == count
    return count / elapsed


def run(args) -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("needs DATABASE_URL=postgres://… and REDIS_URL=redis://…")
    call_command("migrate", verbosity=0)
    # A run that was interrupted leaves its mailing, which beat's recovery would finish.
    Mailing.objects.filter(subject=SUBJECT).delete()
    Subscriber.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    import redis

    redis.Redis.from_url(settings.REDIS_URL).delete("celery", "newsletter:send-bucket")
    env = worker_env(
        smtp_port=port,
        NEWSLETTER_RATE_PER_SECOND=str(args.rate),
        NEWSLETTER_BATCH_SIZE=str(args.batch),
        NEWSLETTER_CLAIM_LEASE_SECONDS=str(args.lease),
    )
    mailing = None
    workers = []
    try:
        started = time.perf_counter()
        make_subscribers(args.recipients, domain=DOMAIN)
        mailing = Mailing.objects.create(
            subject=SUBJECT,
            body="# Bench\n\nText mit [Link](https://www.optigem.com/).",
            status="queued",
        )
        delivery.deliveries_create(mailing_id=mailing.pk)
        print(
            f"set-up: {args.recipients} subscribers and delivery rows in {time.perf_counter() - started:.1f} s"
        )

        count = args.baseline_count or args.recipients
        plain_before = baseline(mailing, count, port, sink)
        sink.total, sink.per_recipient = 0, Counter()
        workers = [start_worker(env, f"bench{i}") for i in range(args.workers)]
        time.sleep(3)  # let the workers connect before the clock starts
        app = broker()
        started = time.perf_counter()
        for _ in workers:
            app.send_task("newsletter.tasks.deliveries_send", args=[mailing.pk])
        note = ""
        if args.kill:
            outcome = kill_mid_send(
                workers,
                env=env,
                mailing_id=mailing.pk,
                received=lambda: sink.total,
                after=args.recipients // 3,
                lease=args.lease,
                timeout=7200,
            )
            print(
                f"killed worker {outcome.killed_pid} with SIGKILL after {outcome.at_kill} messages"
            )
            done = outcome.finished
            note = " (including the kill and the restart)"
        else:
            done = wait_until(
                lambda: Mailing.objects.get(pk=mailing.pk).status == "sent",
                timeout=7200,
                interval=0.2,
            )
            sent = Delivery.objects.filter(mailing=mailing, status="sent").count()
            wait_until(lambda: sink.total >= sent, timeout=10)
        elapsed = time.perf_counter() - started
        peaks = [peak_rss_mb(w.pid) for w in workers]
        progress = delivery.mailing_progress(mailing)
        rate = sink.total / elapsed
        print(f"workers: {args.workers}, finished: {done}, {progress}")
        print(f"worker send: {sink.total} messages in {elapsed:.1f} s = {rate:.0f} msg/s{note}")
        print("peak worker memory (VmHWM): " + ", ".join(f"{p:.0f} MB" for p in peaks))
        lost, duplicated, counts = tally(sink.per_recipient, args.recipients)
        print(
            f"received: {sink.total} messages for {len(sink.per_recipient)} of "
            f"{args.recipients} recipients; messages per recipient: {counts}; "
            f"lost {lost}, duplicated {duplicated}"
        )
        for w in workers:
            stop(w)
        workers = []
        count = args.baseline_count or args.recipients
        plain_after = baseline(mailing, count, port, sink)
        plain = (plain_before + plain_after) / 2
        print(
            f"plain smtplib loop, one connection: {plain_before:.0f} msg/s before, "
            f"{plain_after:.0f} msg/s after the workers"
        )
        print(f"ratio workers / plain loop (mean of both): {rate / plain:.0%}")
    finally:
        for w in workers:
            stop(w)
        if mailing:
            mailing.delete()
        Subscriber.objects.filter(email__endswith=f"@{DOMAIN}").delete()
        controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1_000_000, help="NEWSLETTER_RATE_PER_SECOND")
    parser.add_argument("--batch", type=int, default=200, help="NEWSLETTER_BATCH_SIZE")
    parser.add_argument("--lease", type=int, default=5, help="NEWSLETTER_CLAIM_LEASE_SECONDS")
    parser.add_argument("--kill", action="store_true", help="kill one worker with SIGKILL mid-send")
    parser.add_argument("--baseline-count", type=int, default=None)
    run(parser.parse_args())
