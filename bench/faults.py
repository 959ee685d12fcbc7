"""Fault benchmark: the site and its worker across Redis and PostgreSQL restarts.

Starts its own PostgreSQL, Redis and SMTP sink on free ports, the site (runserver) and a
Celery worker on them, and prints:

1. N contact submissions with Redis stopped after N/3 and started again after 2N/3:
   accepted, 5xx, rows, and mails per address once the sweep (as beat runs it) has run;
2. requests across a PostgreSQL restart: 5xx other than the 503 page, 503s, seconds from the
   server being back to the first good answer;
3. whether the worker survived both;
4. K times, a newsletter to M subscribers sent by two workers, one killed with SIGKILL mid-send
   and replaced, the recovery run as beat runs it: messages per recipient, lost, duplicated.

Bounded: N requests (default 30), a few hundred load requests and K rounds (default 5) of M
messages (default 2000). Usage:
    .venv/bin/python bench/faults.py [N] [M] [K]
"""

import collections
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from tests.instances import PostgresServer, RedisServer, free_port, wait_for_port  # noqa: E402
from tests.test_outage import Visitor  # noqa: E402

DOMAIN = "faults.example.org"


class Sink:
    def __init__(self):
        self.received: list[bytes] = []
        self.per_recipient: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(envelope.content)
            self.per_recipient.update(envelope.rcpt_tos)
        return "250 OK"

    def mailed(self, domain: str) -> collections.Counter[str]:
        """Messages per recipient under ``domain`` (late contact mails are not counted)."""
        with self.lock:
            return collections.Counter(
                {rcpt: n for rcpt, n in self.per_recipient.items() if rcpt.endswith(domain)}
            )


def newsletter_kill(
    env: dict[str, str], sink: Sink, smtp_port: int, recipients: int, rounds: int
) -> None:
    """Case 4, in this process: Django on the bench's own PostgreSQL and Redis."""
    os.environ.update(env, DEBUG="False")
    import django

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    from newsletter import delivery
    from newsletter.models import Mailing
    from newsletter.tests.workers import (
        broker,
        kill_mid_send,
        make_subscribers,
        start_worker,
        stop,
        tally,
        worker_env,
    )

    lease = 2
    domain = "newsletter.faults.example.org"
    make_subscribers(recipients, domain=domain)
    worker_settings = worker_env(
        smtp_port=smtp_port,
        NEWSLETTER_RATE_PER_SECOND="1000000",
        NEWSLETTER_BATCH_SIZE="50",
        NEWSLETTER_CLAIM_LEASE_SECONDS=str(lease),
    )
    print(
        f"4. newsletter to {recipients} subscribers by 2 workers, one killed with SIGKILL "
        f"after a third and replaced, recovery run after the {lease} s lease; {rounds} rounds:"
    )
    totals = collections.Counter()
    for round_ in range(1, rounds + 1):
        mailing = Mailing.objects.create(
            subject=f"Faults: newsletter {round_}", body="# Faults\n\nText.", status="queued"
        )
        delivery.deliveries_create(mailing_id=mailing.pk)
        with sink.lock:
            sink.per_recipient.clear()
        workers = [start_worker(worker_settings, f"faults{i}") for i in range(2)]
        try:
            for _ in workers:
                broker().send_task("newsletter.tasks.deliveries_send", args=[mailing.pk])
            outcome = kill_mid_send(
                workers,
                env=worker_settings,
                mailing_id=mailing.pk,
                received=lambda: sink.mailed(domain).total(),
                after=recipients // 3,
                lease=lease,
            )
            alive = all(worker.poll() is None for worker in workers)
        finally:
            for worker in workers:
                stop(worker)
        lost, duplicated, counts = tally(sink.mailed(domain), recipients)
        totals.update(lost=lost, duplicated=duplicated)
        print(
            f"   round {round_}: killed after {outcome.at_kill} messages; finished "
            f"{outcome.finished}, {delivery.mailing_progress(mailing)}, workers running {alive}; "
            f"messages per recipient {counts}, lost {lost}, duplicated {duplicated}"
        )
    print(f"   over {rounds} kills: lost {totals['lost']}, duplicated {totals['duplicated']}")


def contact(visitor: Visitor, n: int):
    data = {
        "csrfmiddlewaretoken": visitor.cookies.get("csrftoken", ""),
        "name": f"Faults {n}",
        "email": f"f{n}@{DOMAIN}",
        "message": "Eine Frage aus dem Fehler-Benchmark.",
        "submission_key": str(uuid.uuid4()),
    }
    response, _ = visitor.request("POST", "/kontakt/", data)
    return response.status


def main(n: int, recipients: int, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="faults-", dir="/tmp"))
    work.chmod(0o755)  # the postgres user must reach its cluster under it
    pg, redis = PostgresServer(work / "pg"), RedisServer(work / "redis")
    pg.init()
    pg.start()
    redis.start()
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "CI")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "optigem_site.settings.dev",
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        "CACHE_URL": redis.url.replace("/0", "/1"),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEBUG": "True",
        "CONTACT_RATE_LIMIT": "100000",
        "PYTHONPATH": str(ROOT),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    port = free_port()
    logs = (work / "site.log").open("w"), (work / "worker.log").open("w")
    site = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=logs[0],
        stderr=logs[0],
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "optigem_site", "worker", "-c", "2", "-l", "INFO"],
        env=env,
        cwd=ROOT,
        stdout=logs[1],
        stderr=logs[1],
    )
    try:
        wait_for_port(port, timeout=60)
        visitor = Visitor(port)
        visitor.request("GET", "/kontakt/")

        # 1. Contact submissions across a Redis restart.
        statuses = collections.Counter()
        for i in range(n):
            if i == n // 3:
                redis.stop()
            if i == 2 * n // 3:
                redis.start()
            statuses[contact(visitor, i)] += 1
        time.sleep(5)
        subprocess.run(
            [
                *manage,
                "shell",
                "--no-imports",
                "-c",
                "from contact.services import inquiry_send_unsent_mails as s; s()",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(3)
        rows = subprocess.run(
            [
                *manage,
                "shell",
                "--no-imports",
                "-c",
                f"from contact.models import Inquiry; print(Inquiry.objects.filter(email__endswith='{DOMAIN}').count())",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        per_address = collections.Counter()
        for raw in sink.received:
            for to in message_from_bytes(raw).get_all("To", []):
                if to.endswith(DOMAIN):
                    per_address[to] += 1
        mails = collections.Counter(per_address.values())
        accepted = statuses.get(302, 0)
        print(f"1. contact × {n}, Redis stopped after {n // 3} and started after {2 * n // 3}:")
        print(
            f"   accepted (302) {accepted}, 5xx {sum(c for s, c in statuses.items() if s >= 500)}, rows {rows}"
        )
        print(
            f"   visitor mails after the sweep: {len(per_address)} addresses, "
            f"mails per address {dict(sorted(mails.items()))}, lost {accepted - len(per_address)}"
        )

        # 2. Load across a PostgreSQL restart.
        results: list[tuple[float, int]] = []
        stop = threading.Event()

        def load():
            me = Visitor(port)
            me.request("GET", "/kontakt/")
            while not stop.is_set() and len(results) < 3000:
                try:
                    status = (
                        contact(me, len(results))
                        if len(results) % 2
                        else me.request("GET", "/kontakt/")[0].status
                    )
                except OSError:
                    status = 0
                results.append((time.monotonic(), status))

        threads = [threading.Thread(target=load) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        pg.stop("fast")
        time.sleep(3)
        pg.start()
        back = time.monotonic()
        time.sleep(5)
        stop.set()
        for thread in threads:
            thread.join()
        good_after = [t for t, s in results if t >= back and s in (200, 302)]
        bad_after = [s for t, s in results if t >= back + 1 and s not in (200, 302)]
        print(f"2. {len(results)} requests (2 clients) across a PostgreSQL restart (down 3 s):")
        print(
            f"   5xx other than 503: {sum(1 for _, s in results if s >= 500 and s != 503)}, "
            f"503 'bitte erneut versuchen': {sum(1 for _, s in results if s == 503)}, "
            f"seconds to recover: {(good_after[0] - back) if good_after else float('nan'):.2f}, "
            f"failures later than 1 s after: {len(bad_after)}"
        )
        print(f"3. worker still running after both restarts: {worker.poll() is None}")
        worker.terminate()  # case 4 runs its own two workers with a short claim lease
        worker.wait(timeout=120)  # a warm shutdown: the tasks in hand finish first
        newsletter_kill(env, sink, smtp_port, recipients, rounds)
    finally:
        worker.terminate()
        site.terminate()
        worker.wait(timeout=30)
        site.wait(timeout=10)
        controller.stop()
        redis.stop()
        pg.stop("immediate")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 30,
        int(sys.argv[2]) if len(sys.argv) > 2 else 2000,
        int(sys.argv[3]) if len(sys.argv) > 3 else 5,
    )
