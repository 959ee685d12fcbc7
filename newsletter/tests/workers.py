"""Real Celery worker processes against the test database, Redis and an SMTP sink."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from newsletter.models import Subscriber
from privacy.digests import address_digest
from tests.instances import worker_env  # noqa: F401 (the workers' environment, shared)

ROOT = Path(settings.BASE_DIR)
CELERY = str(Path(sys.executable).with_name("celery"))


class Worker(subprocess.Popen):
    """A worker process and the temporary file its log goes to."""

    log: IO[bytes]


def start_worker(env: dict[str, str], name: str) -> Worker:
    """One worker process that runs its tasks itself (``-P solo``), so kill -9 hits the sender.

    Its log goes to a temporary file (``process.log``), never to a pipe nobody drains.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the process object)
    process = Worker(
        [CELERY, "-A", "optigem_site", "worker", "-P", "solo", "-n", f"{name}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    process.log = log
    return process


def worker_log(process: Worker) -> str:
    process.log.seek(0)
    return process.log.read().decode(errors="replace")[-4000:]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def broker():
    from celery import Celery

    # Not the current app: shared tasks of later tests must stay bound to the site's (eager) app.
    return Celery("newsletter-test", broker=settings.REDIS_URL, set_as_current=False)


def make_subscribers(count: int, *, domain: str = "example.org") -> None:
    """Confirmed subscribers in bulk (``bulk_create`` skips ``save``, so hashes are set here)."""
    from django.utils import timezone

    from newsletter.tests.factories import consent_text

    consent = consent_text()
    now = timezone.now()
    batch = []
    for n in range(count):
        email = f"leser{n}@{domain}"
        batch.append(
            Subscriber(
                email=email, address_hash=address_digest(email), status="subscribed",
                language="de", consent_text=consent, consent_version=consent.version,
                consent_hash=consent.sha256, form="bench", requested_at=now, confirmed_at=now,
            )
        )  # fmt: skip
        if len(batch) == 5000:
            Subscriber.objects.bulk_create(batch)
            batch = []
    Subscriber.objects.bulk_create(batch)


def wait_until(predicate, *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@dataclass
class KillOutcome:
    """What a SIGKILL mid-send left: messages at the kill, whether the mailing finished."""

    killed_pid: int
    at_kill: int
    finished: bool
    replacement: subprocess.Popen


def kill_mid_send(
    workers: list[subprocess.Popen],
    *,
    env: dict[str, str],
    mailing_id: int,
    received: Callable[[], int],
    after: int,
    lease: float,
    timeout: float = 600,
) -> KillOutcome:
    """Kill ``workers[0]`` with SIGKILL once ``after`` messages arrived, start a replacement in
    its place and run the recovery as beat does once the dead worker's lease has run out; then
    wait for the mailing to finish and for every message marked sent to reach the sink."""
    from newsletter.models import Delivery, Mailing

    wait_until(lambda: received() >= after, timeout=timeout, interval=0.02)
    killed = workers[0]
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=10)
    at_kill = received()
    workers[0] = start_worker(env, "restarted")
    time.sleep(lease + 0.5)  # the dead worker's claims run out
    broker().send_task("newsletter.tasks.deliveries_recover")  # what beat does every minute
    finished = wait_until(
        lambda: Mailing.objects.get(pk=mailing_id).status == "sent", timeout=timeout, interval=0.2
    )
    # A worker marks a row sent just before the final dot; let the last message land.
    sent = Delivery.objects.filter(mailing_id=mailing_id, status="sent").count()
    wait_until(lambda: received() >= sent, timeout=10)
    return KillOutcome(killed.pid, at_kill, finished, workers[0])


def tally(per_recipient: Counter[str], recipients: int) -> tuple[int, int, dict[int, int]]:
    """(lost, duplicated, {messages received: recipients}) of one mailing at the sink."""
    lost = recipients - len(per_recipient)
    duplicated = sum(count - 1 for count in per_recipient.values() if count > 1)
    return lost, duplicated, dict(sorted(Counter(per_recipient.values()).items()))
