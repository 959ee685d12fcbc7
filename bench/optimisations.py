"""Benchmark of six hand optimisations against their plain equivalents (PostgreSQL only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_optim REDIS_URL=redis://127.0.0.1:6379/N \\
        nice -n 10 .venv/bin/python bench/optimisations.py [--rounds 3] [--only 1 2 ...]

Each optimisation (A) is timed against what plain Django code would do (B), both written out
here, on data this script builds at real volume, in ``--rounds`` rounds (A first in odd rounds,
B first in even ones; the machine is shared, so single timings wander), compared by medians:

1. the newsletter's suppression check: raw SQL against ``filter(...).exists()``, on a list of
   ``--suppressions`` entries, ``--checks`` checks a round (one in ten a hit);
2. the newsletter's mark-sent: a raw ``UPDATE`` against ``filter(...).update(...)``,
   ``--marks`` rows a round, each its own transaction (with ``synchronous_commit`` off here, so
   the disk flush both pay alike does not drown the difference);
3. a contact request's INSERT in autocommit against the same INSERT in ``transaction.atomic()``
   (BEGIN and COMMIT around it), ``--inserts`` a round, durable as on the site;
4. the consent cookie's signature check behind an ``lru_cache`` (a returning visitor: a hit)
   against the check itself, ``--reads`` a round;
5. the deletion run (``privacy.deletion.deletion_run``) of ``--expired`` expired rows in a
   ``--rows`` table built by bench/deletion.py, with ``synchronous_commit`` off against on;
6. the restriction mail guard (``dsar/privacy.py``): raw SQL against
   ``Restriction.objects.active().filter(...).exists()``, on ``--restrictions`` restrictions
   (a tenth of them lifted), ``--checks`` checks a round (one in ten a hit).

Each round also times the path the optimisation lies on, under the same load: a newsletter
message (``deliveries_send`` of ``--messages`` messages to an SMTP sink in its own process,
as a worker sends them), a contact form POST (``--posts`` through Django's test client; hCaptcha answered by a
local fake, the mail task handed to an in-memory broker), a returning visitor's home page (``--pages``
GETs through Django's test client with a consent cookie) and, for 5, the run itself. Prints
microseconds per operation of A, B and the path, the saving in per cent of B and of the path;
an optimisation earns its code when it saves at least ``--keep-share`` of its path.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The test settings on PostgreSQL with mail tasks handed to an in-memory broker, as for
# bench/contact.py: a contact submission costs what it costs in production up to the hand-off,
# with hCaptcha's siteverify answered by bench/contact.py's fake on 127.0.0.1.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.contact_settings")

from bench.contact import Siteverify  # noqa: E402

SITEVERIFY = ThreadingHTTPServer(("127.0.0.1", 0), Siteverify)
threading.Thread(target=SITEVERIFY.serve_forever, daemon=True).start()
os.environ.update(
    HCAPTCHA_SITEKEY="10000000-ffff-ffff-ffff-000000000001",
    HCAPTCHA_SECRET="0x-bench-secret",
    HCAPTCHA_VERIFY_URL=f"http://127.0.0.1:{SITEVERIFY.server_port}/siteverify",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.deletion import RULE, TABLE, build_table  # noqa: E402
from conftest import free_port  # noqa: E402
from consent import state  # noqa: E402
from consent.policy import current_policy, forget_policy  # noqa: E402
from consent.privacy import CONSENT_COOKIE  # noqa: E402
from contact.models import Inquiry, MailState  # noqa: E402
from dsar.models import Restriction  # noqa: E402
from dsar.privacy import RESTRICTED_SQL  # noqa: E402
from newsletter import delivery  # noqa: E402
from newsletter.models import Delivery, DeliveryStatus, Mailing, Subscriber, Suppression  # noqa: E402
from newsletter.suppression import covering_scopes  # noqa: E402
from newsletter.tests.workers import make_subscribers  # noqa: E402
from optigem_site.settings.env import guarded_mailers  # noqa: E402
from privacy.deletion import deletion_run  # noqa: E402
from privacy.models import PolicyVersion  # noqa: E402

MARKER = "bench-optimisations"
SINK_HANDLER = "aiosmtpd.handlers.Sink"
DOMAIN = "bench.invalid"


class Case:
    """One optimisation: per-operation times of A, B and its path, over the rounds.

    Each time is kept twice: wall clock and this process's CPU time. Under ``nice`` on a busy
    machine the wall clock of Python work stretches many times over while PostgreSQL's does
    not, so a saving of Python work (1, 2, 4) is judged by CPU time (a share of the path's CPU,
    which is at most its share of the path's time) and a saving of waiting (3, 5) by the clock.
    """

    def __init__(self, title: str, a: str, b: str, unit: str, path: str, *, cpu: bool):
        self.title, self.a, self.b, self.unit, self.path, self.cpu = title, a, b, unit, path, cpu
        self.a_us: list[tuple[float, float]] = []
        self.b_us: list[tuple[float, float]] = []
        self.path_us: list[tuple[float, float]] = []

    def median(self, values: list[tuple[float, float]], cpu: bool | None = None) -> float:
        return statistics.median(
            v[1] if (self.cpu if cpu is None else cpu) else v[0] for v in values
        )

    def saving(self) -> float:
        return self.median(self.b_us) - self.median(self.a_us)

    def report(self, keep_share: float) -> None:
        measure = "CPU" if self.cpu else "wall clock"
        print(f"{self.title}; judged by {measure}")
        for label, name, values in (
            ("A", self.a, self.a_us),
            ("B", self.b, self.b_us),
            ("path", self.path, self.path_us),
        ):
            if values:
                print(
                    f"  {label:<4} {name:<56} wall {self.median(values, False):9.1f} µs  "
                    f"CPU {self.median(values, True):9.1f} µs  {_spread(values, self.cpu)}"
                )
        b = self.median(self.b_us)
        path = self.median(self.path_us or self.b_us)
        saving = self.saving()
        share = saving / path
        print(
            f"  A saves {saving:.1f} µs ({measure}) per {self.unit} = {saving / b:.0%} of B "
            f"= {share:.1%} of the path: "
            + ("keep A" if share >= keep_share else f"under {keep_share:.0%}, plain B is enough"),
            flush=True,
        )


def _spread(values: list[tuple[float, float]], cpu: bool) -> str:
    return "rounds: " + ", ".join(f"{v[1] if cpu else v[0]:.0f}" for v in values)


def interleaved(
    case: Case,
    rounds: int,
    a: Callable[[], tuple[float, float]],
    b: Callable[[], tuple[float, float]],
    path: Callable[[], tuple[float, float]] | None = None,
) -> None:
    """Run A and B once each per round, alternating which goes first, then the path."""
    for n in range(rounds):
        order = ((a, case.a_us), (b, case.b_us)) if n % 2 == 0 else ((b, case.b_us), (a, case.a_us))
        for run, into in order:
            into.append(run())
        if path is not None:
            case.path_us.append(path())


def per_op(operation: Callable[[object], object], items) -> tuple[float, float]:
    """Microseconds per item, on the wall clock and in this process's CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    for item in items:
        operation(item)
    return timed_since(wall, cpu, len(items))


def timed_since(wall: float, cpu: float, count: int) -> tuple[float, float]:
    return (
        (time.perf_counter() - wall) / count * 1e6,
        (time.process_time() - cpu) / count * 1e6,
    )


@contextmanager
def synchronous_commit(value: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET synchronous_commit TO {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


# The newsletter message: the path of 1 and 2 ---------------------------------------------------


class NoLimit:
    """No rate limit: the bench measures what a message costs, not the agreed rate."""

    def acquire(self, count: int = 1) -> None:
        pass


@contextmanager
def smtp_sink():
    """A discarding SMTP server in its own process (as the mail server is, for a worker)."""
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", SINK_HANDLER]
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the SMTP sink did not start") from None
                time.sleep(0.1)
        # Read on first use, so the newsletter's guarded mailer now hands off to the sink.
        settings.MAILERS = guarded_mailers(f"smtp://127.0.0.1:{port}", timeout=5)
        yield
    finally:
        sink.terminate()
        sink.wait()


def message_path(count: int) -> Callable[[], tuple[float, float]]:
    make_subscribers(count, domain=DOMAIN)

    def timed() -> tuple[float, float]:
        mailing = Mailing.objects.create(
            subject=f"Bench: {MARKER}",
            body="# Bench\n\nText mit [Link](https://www.optigem.com/).",
            status="queued",
        )
        delivery.deliveries_create(mailing_id=mailing.pk)
        wall, cpu = time.perf_counter(), time.process_time()
        report = delivery.deliveries_send(
            mailing_id=mailing.pk, budget_seconds=3600, limiter=NoLimit()
        )
        took = timed_since(wall, cpu, count)
        mailing.delete()
        if report.sent != count:
            raise SystemExit(f"the message path sent {report}, not {count} messages")
        return took

    return timed


# 1. Suppression check --------------------------------------------------------------------------

SUPPRESSED_SQL = (
    f"SELECT 1 FROM {Suppression._meta.db_table} "
    "WHERE address_hash = %s AND scope IN (%s, %s) LIMIT 1"
)


def suppressed_raw(hashed: str) -> bool:
    """newsletter/suppression.py at 889bfa2"""
    scopes = covering_scopes("newsletter")
    with connection.cursor() as cursor:
        cursor.execute(SUPPRESSED_SQL, [hashed, scopes[0], scopes[-1]])
        return cursor.fetchone() is not None


def suppressed_orm(hashed: str) -> bool:
    """Suppression.objects.filter(...).exists()"""
    return Suppression.objects.filter(
        address_hash=hashed, scope__in=covering_scopes("newsletter")
    ).exists()


def suppression_build(count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Suppression._meta.db_table} "
            '(address_hash, scope, reason, channel, "on", reference, created_at) '
            "SELECT encode(sha256(convert_to(%s || g, 'UTF8')), 'hex'), "
            "(ARRAY['newsletter', 'customer', 'all'])[1 + g %% 3], 'opt-out', 'web', "
            "current_date, %s, now() FROM generate_series(1, %s) AS g",
            [MARKER, MARKER, count],
        )
        cursor.execute(f"ANALYZE {Suppression._meta.db_table}")


def lookup_case(
    args, path, title: str, raw: Callable[[str], bool], orm: Callable[[str], bool], stored
) -> Case:
    """A guard's check, raw SQL (A) against the ORM (B): one check in ten finds one of the
    ``stored`` keys, the rest are keys never stored."""
    hits = iter(stored.order_by("?")[: args.checks // 10 + 1])
    keys = [next(hits) if n % 10 == 0 else secrets.token_hex(32) for n in range(args.checks)]
    if [raw(k) for k in keys[:500]] != [orm(k) for k in keys[:500]]:
        raise SystemExit(f"the raw and the ORM check disagree: {title}")
    case = Case(
        f"{title}, {args.checks:,} checks a round, 10 % hits)",
        f"raw SQL (as in {raw.__doc__})",
        orm.__doc__ or "",
        "check",
        "a newsletter message (deliveries_send)",
        cpu=True,
    )
    interleaved(case, args.rounds, lambda: per_op(raw, keys), lambda: per_op(orm, keys), path)
    return case


def bench_suppression(args, path: Callable[[], tuple[float, float]]) -> Case:
    # The hits are entries of any scope.
    entries = Suppression.objects.filter(reference=MARKER).values_list("address_hash", flat=True)
    title = f"1. newsletter suppression check ({args.suppressions:,} entries"
    return lookup_case(args, path, title, suppressed_raw, suppressed_orm, entries)


# 6. Restriction guard -------------------------------------------------------------------------

RESTRICTION_MARKER = datetime(2001, 1, 1, tzinfo=UTC)  # no real restriction is that old


def restricted_raw(digest: str) -> bool:
    """dsar/privacy.py"""
    with connection.cursor() as cursor:
        cursor.execute(RESTRICTED_SQL, [digest])
        return cursor.fetchone() is not None


def restricted_orm(digest: str) -> bool:
    """Restriction.objects.active().filter(...).exists()"""
    return Restriction.objects.active().filter(email_digest=digest).exists()


def restriction_build(count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Restriction._meta.db_table} "
            "(email_digest, ground, restricted_at, lifted_at, lift_reason) "
            "SELECT encode(sha256(convert_to(%s || g, 'UTF8')), 'hex'), 'accuracy', %s, "
            "CASE WHEN g %% 10 = 0 THEN now() END, "
            "CASE WHEN g %% 10 = 0 THEN 'bench' ELSE '' END FROM generate_series(1, %s) AS g",
            [MARKER, RESTRICTION_MARKER, count],
        )
        cursor.execute(f"ANALYZE {Restriction._meta.db_table}")


def bench_restriction(args, path: Callable[[], tuple[float, float]]) -> Case:
    active = Restriction.objects.active().values_list("email_digest", flat=True)
    title = f"6. restriction mail guard ({args.restrictions:,} restrictions"
    return lookup_case(args, path, title, restricted_raw, restricted_orm, active)


# 2. Mark-sent ----------------------------------------------------------------------------------

MARK_SENT_SQL = (
    f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s "
    "WHERE id = %s AND claim = %s AND status = %s"
)
CLAIM = uuid.uuid4().hex


def mark_sent_raw(pk: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            MARK_SENT_SQL,
            [DeliveryStatus.SENT.value, timezone.now(), pk, CLAIM, DeliveryStatus.CLAIMED.value],
        )
        return cursor.rowcount == 1


def mark_sent_orm(pk: int) -> bool:
    return (
        Delivery.objects.filter(pk=pk, claim=CLAIM, status=DeliveryStatus.CLAIMED).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now()
        )
        == 1
    )


def bench_mark_sent(args, path: Callable[[], tuple[float, float]]) -> Case:
    mailing = Mailing.objects.create(subject=f"Bench: {MARKER}", body="Bench", status="sent")
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            mailing=mailing,
            address=f"m{n}@{DOMAIN}",
            address_hash=f"{n:064x}",
            message_id=f"<{n}.{MARKER}@{DOMAIN}>",
            created_at=now,
        )
        for n in range(args.marks)
    )
    rows = Delivery.objects.filter(mailing=mailing)
    pks = list(rows.order_by("pk").values_list("pk", flat=True))

    def timed(mark: Callable[[int], bool]) -> tuple[float, float]:
        rows.update(status=DeliveryStatus.CLAIMED, claim=CLAIM, sent_at=None)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Delivery._meta.db_table}")
        with synchronous_commit("off"):
            took = per_op(mark, pks)
        if rows.filter(status=DeliveryStatus.SENT).count() != len(pks):
            raise SystemExit("a mark-sent variant missed rows")
        return took

    case = Case(
        f"2. newsletter mark-sent ({args.marks:,} rows a round, one transaction each)",
        "raw UPDATE (as in newsletter/delivery.py at 889bfa2)",
        "Delivery.objects.filter(...).update(...)",
        "row",
        "a newsletter message (deliveries_send)",
        cpu=True,
    )
    interleaved(case, args.rounds, lambda: timed(mark_sent_raw), lambda: timed(mark_sent_orm), path)
    mailing.delete()
    return case


# 3. Contact INSERT -----------------------------------------------------------------------------


def contact_data() -> dict:
    """What the contact form hands to ``inquiry_create`` (``form.inquiry_data()``)."""
    n = uuid.uuid4()
    return {
        "name": "Erika Mustermann",
        "email": f"erika-{n.hex[:8]}@{DOMAIN}",
        "organisation": "",
        "phone": "",
        "subject": "Frage zur Lizenz",
        "message": "Wie viele Arbeitsplätze umfasst die Grundlizenz?",
        "submission_key": str(n),
    }


def new_inquiry() -> Inquiry:
    """The row ``inquiry_create`` inserts for an adult's contact request."""
    return Inquiry(
        kind="contact",
        created_at=timezone.now(),
        language="de",
        **contact_data(),
        receipt_mail=MailState.UNSENT,
        staff_mail=MailState.UNSENT,
        guardian_mail=MailState.NOT_NEEDED,
    )


def insert_bare(inquiry: Inquiry) -> None:
    inquiry.save(force_insert=True)


def insert_atomic(inquiry: Inquiry) -> None:
    with transaction.atomic():
        inquiry.save(force_insert=True)


def bench_contact(args) -> Case:
    def timed(insert: Callable[[Inquiry], None]) -> tuple[float, float]:
        return per_op(insert, [new_inquiry() for _ in range(args.inserts)])

    client = Client()

    def submit(data: dict) -> None:
        data = {**data, "h-captcha-response": "bench-token"}
        if client.post("/kontakt/", data).status_code != 302:
            raise SystemExit("the contact form did not accept the submission")

    case = Case(
        f"3. contact request INSERT ({args.inserts:,} a round, durable commits)",
        "autocommit, no BEGIN/COMMIT (contact/services.py at 889bfa2)",
        "inside transaction.atomic()",
        "insert",
        "a contact form POST (test client, hCaptcha fake)",
        cpu=False,
    )
    interleaved(
        case,
        args.rounds,
        lambda: timed(insert_bare),
        lambda: timed(insert_atomic),
        lambda: per_op(submit, [contact_data() for _ in range(args.posts)]),
    )
    Inquiry.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    return case


# 4. Consent cookie -----------------------------------------------------------------------------


def bench_consent(args) -> Case:
    if PolicyVersion.objects.current() is None:
        call_command("policy_publish", "Benchmark", verbosity=0)
    forget_policy()
    raw = state.encode(
        consent_id=uuid.uuid4(),
        categories={"statistics"},
        policy=current_policy(),
        decided_at=timezone.now(),
    )
    client = Client()
    client.cookies[CONSENT_COOKIE] = raw
    keys = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    # The check itself, and the same check behind the cache consent/state.py put on it.
    plain = getattr(state._verified, "__wrapped__", state._verified)
    cached = lru_cache(maxsize=4096)(plain)
    if plain(raw, keys) is None or cached(raw, keys) != plain(raw, keys):
        raise SystemExit("the consent cookie does not verify")

    def page(_n) -> None:
        if client.get("/").status_code != 200:
            raise SystemExit("the home page failed")

    values = [raw] * args.reads
    case = Case(
        f"4. consent cookie of a returning visitor ({args.reads:,} reads a round)",
        "lru_cache hit (as in consent/state.py at 889bfa2)",
        "signing.Signer.unsign on every read",
        "read",
        "a returning visitor's home page (test client)",
        cpu=True,
    )
    interleaved(
        case,
        args.rounds,
        lambda: per_op(lambda value: cached(value, keys), values),
        lambda: per_op(lambda value: plain(value, keys), values),
        lambda: per_op(page, range(args.pages)),
    )
    return case


# 5. Deletion run -------------------------------------------------------------------------------


def _durable(execute, sql, params, many, context):
    """Leave out the run's own SET/RESET of synchronous_commit, so every commit is durable."""
    if "synchronous_commit" in sql:
        return None
    return execute(sql, params, many, context)


def bench_deletion(args) -> Case:
    as_of = timezone.now()

    def timed(off: bool) -> tuple[float, float]:
        build_table(args.rows, args.expired, as_of)
        wall, cpu = time.perf_counter(), time.process_time()
        if off:
            # Off for the whole run, whether or not privacy/deletion.py switches it off itself.
            with synchronous_commit("off"):
                result = deletion_run(now=as_of, rules=[RULE], started_by="bench")
        else:
            with connection.execute_wrapper(_durable):
                result = deletion_run(now=as_of, rules=[RULE], started_by="bench")
        took = timed_since(wall, cpu, 1)
        record = result.rules[0].as_record()
        if record["error"] or record["done"] != args.expired:
            raise SystemExit(f"the deletion run did not delete the expired rows: {record}")
        return took

    batches = -(-args.expired // settings.DELETION_BATCH_SIZE)
    case = Case(
        f"5. deletion run ({args.expired:,} of {args.rows:,} rows expired, {batches} "
        f"batches of {settings.DELETION_BATCH_SIZE:,})",
        "synchronous_commit off (privacy/deletion.py)",
        "synchronous_commit on (every commit durable)",
        "run",
        "the run (B)",
        cpu=False,
    )
    interleaved(case, args.rounds, lambda: timed(True), lambda: timed(False))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    return case


def clean_up() -> None:
    Suppression.objects.filter(reference=MARKER).delete()
    Restriction.objects.filter(restricted_at=RESTRICTION_MARKER).delete()
    Mailing.objects.filter(subject=f"Bench: {MARKER}").delete()
    Subscriber.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    Inquiry.objects.filter(email__endswith=f"@{DOMAIN}").delete()


RESTRICTIONS_MAX = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--suppressions", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--marks", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=500, help="newsletter path, a round")
    parser.add_argument("--inserts", type=int, default=2_000)
    parser.add_argument("--posts", type=int, default=500, help="contact form POSTs, a round")
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=500, help="home page GETs, a round")
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--expired", type=int, default=200_000)
    parser.add_argument("--restrictions", type=int, default=10_000)
    parser.add_argument("--keep-share", type=float, default=0.10)
    parser.add_argument("--only", nargs="*", choices=list("123456"), help="only these cases")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/optimisations.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    if args.rounds < 1 or not 0 < args.expired <= args.rows:
        raise SystemExit("--rounds at least 1, --expired between 1 and --rows")
    if not 10 <= args.restrictions <= RESTRICTIONS_MAX:
        raise SystemExit(f"--restrictions between 10 and {RESTRICTIONS_MAX:,}")
    call_command("migrate", verbosity=0)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    clean_up()  # what an interrupted run left
    only = set(args.only or "123456")
    print(
        f"{args.rounds} interleaved rounds, medians (PostgreSQL {connection.pg_version // 10000}, "
        f"synchronous_commit {_setting('synchronous_commit')}, fsync {_setting('fsync')})",
        flush=True,
    )
    try:
        if only & {"1", "2", "6"}:
            with smtp_sink():
                suppression_build(args.suppressions)
                restriction_build(args.restrictions)
                path = message_path(args.messages)
                cases = [
                    bench(args, path)
                    for key, bench in (
                        ("1", bench_suppression),
                        ("2", bench_mark_sent),
                        ("6", bench_restriction),
                    )
                    if key in only
                ]
                for case in cases:
                    case.report(args.keep_share)
                if only >= {"1", "2"}:
                    pair = cases[:2]
                    saved = sum(case.saving() for case in pair)
                    message = pair[0].median(pair[0].path_us + pair[1].path_us)
                    print(
                        f"  1 and 2 together save {saved:.0f} of {message:,.0f} µs (CPU) "
                        f"= {saved / message:.1%} of a newsletter message",
                        flush=True,
                    )
        for key, bench in (("3", bench_contact), ("4", bench_consent), ("5", bench_deletion)):
            if key in only:
                bench(args).report(args.keep_share)
    finally:
        clean_up()


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
