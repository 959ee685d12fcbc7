"""Benchmark of the cloud: list and dashboard of one organisation among many.

    DATABASE_URL=postgres://... .venv/bin/python bench/cloud.py --orgs 100 --receipts 10000

Builds a throw-away test database (never the configured one), fills it with ``--orgs``
organisations of ``--receipts`` receipts each, then requests the receipt list and the
dashboard of one organisation ``--requests`` times and prints the median and 95th percentile
response times and the queries per page, next to the query counts of an organisation with
ten receipts (the goal: the same count, whatever the size).

Then the export (``/cx/<org>/export/``, one streamed ZIP) of an organisation with
``--export-receipts`` receipts and of one with a tenth of them, each receipt with a file of
``--file-kb`` KiB of random bytes in a throw-away MEDIA_ROOT: bytes, time, queries and the
peak of memory traced (tracemalloc) while the ZIP is read through the test client (the goal:
flat, the same at ten times the receipts).
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)
from django.utils import timezone  # noqa: E402

from cloud import crypto  # noqa: E402
from cloud.models import (  # noqa: E402
    Account,
    Membership,
    Organisation,
    Project,
    Receipt,
    Role,
    Status,
)
from tests.browser.helpers import pass_second_factor  # noqa: E402

BATCH = 5000


def populate(orgs: int, receipts: int) -> None:
    user = get_user_model().objects.create_user(
        username="bench@example.org", email="bench@example.org"
    )
    Account.objects.create(user=user, name="Bench")
    account = crypto.encrypt('{"paypal": "bench@example.org"}')
    statuses = Status.values
    today = timezone.localdate()
    rng = random.Random(1)
    for n in range(orgs):
        org = Organisation.objects.create(name=f"Org {n}", slug=f"org-{n}")
        Membership.all_tenants.create(organisation=org, user=user, role=Role.REVIEWER)
        projects = [Project.all_tenants.create(organisation=org, name=f"P{p}") for p in range(10)]
        rows = [
            Receipt(
                organisation=org,
                submitter=user,
                submitter_name="Bench",
                submitter_email="bench@example.org",
                project=rng.choice([*projects, None]),
                date=today - datetime.timedelta(days=rng.randrange(730)),
                amount=Decimal(rng.randrange(100, 50000)) / 100,
                currency="EUR",
                purpose="Bench",
                refund_method="paypal",
                refund_account_encrypted=account,
                file=f"cloud/{org.pk}/bench.pdf",
                file_name="bench.pdf",
                content_type="application/pdf",
                file_size=1000,
                status=rng.choice(statuses),
            )
            for _ in range(receipts)
        ]
        Receipt.all_tenants.bulk_create(rows, batch_size=BATCH)
        print(f"\rorganisations: {n + 1}/{orgs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(client: Client, url: str, requests: int) -> tuple[float, float, int]:
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return statistics.median(times), p95, len(queries)


def export_org(slug: str, receipts: int, file_kb: int) -> Organisation:
    """An organisation whose ``receipts`` receipts each have a stored file of random bytes."""
    user = get_user_model().objects.get(username="bench@example.org")
    org = Organisation.objects.create(name=slug, slug=slug)
    Membership.all_tenants.create(organisation=org, user=user, role=Role.MAIN_ADMIN)
    account = crypto.encrypt('{"paypal": "bench@example.org"}')
    rng = random.Random(2)
    rows = []
    for n in range(receipts):
        name = default_storage.save(
            f"cloud/{org.pk}/{n}.pdf", ContentFile(rng.randbytes(file_kb * 1024))
        )
        rows.append(
            Receipt(
                organisation=org,
                submitter=user,
                submitter_name="Bench",
                submitter_email="bench@example.org",
                date=timezone.localdate(),
                amount=Decimal("12.50"),
                purpose=f"Beleg {n}",
                refund_method="paypal",
                refund_account_encrypted=account,
                file=name,
                file_name=f"beleg-{n}.pdf",
                content_type="application/pdf",
                file_size=file_kb * 1024,
                status=Status.APPROVED,
            )
        )
    Receipt.all_tenants.bulk_create(rows, batch_size=BATCH)
    return org


def measure_export(client: Client, slug: str) -> tuple[int, float, float, int]:
    """(bytes, seconds, peak traced MiB, queries) of reading the whole export."""
    tracemalloc.start()
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/cx/{slug}/export/")
        assert response.status_code == 200 and response.streaming, response.status_code
        size = sum(len(piece) for piece in response.streaming_content)
    seconds = time.perf_counter() - start
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, seconds, peak / 2**20, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--export-receipts", type=int, default=10_000)
    parser.add_argument("--file-kb", type=int, default=10)
    args = parser.parse_args()

    setup_test_environment()
    # Its own database name, so that a test run at the same time keeps its own.
    connection.settings_dict["TEST"]["NAME"] = "bench_" + connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        populate(args.orgs, args.receipts)
        print(
            f"populated {args.orgs} × {args.receipts} receipts in {time.perf_counter() - start:.1f} s"
        )
        small = Organisation.objects.create(name="Klein", slug="klein")
        user = get_user_model().objects.get(username="bench@example.org")
        Membership.all_tenants.create(organisation=small, user=user, role=Role.REVIEWER)
        Receipt.all_tenants.bulk_create(
            [
                Receipt(
                    **{
                        f.attname: getattr(r, f.attname)
                        for f in Receipt._meta.concrete_fields
                        if f.attname not in ("id", "organisation_id", "project_id")
                    },
                    organisation=small,
                )
                for r in Receipt.all_tenants.filter(organisation__slug="org-0")[:10]
            ]
        )
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        target = f"org-{args.orgs // 2}"
        print(
            f"database: {connection.vendor}; organisation {target}; {args.requests} requests each"
        )
        for label, page in (("list", ""), ("dashboard", "dashboard/")):
            median, p95, queries = measure(client, f"/cx/{target}/{page}", args.requests)
            _m, _p, small_queries = measure(client, f"/cx/klein/{page}", 3)
            print(
                f"{label:10s} median {median:7.1f} ms   p95 {p95:7.1f} ms   "
                f"queries {queries} (organisation with 10 receipts: {small_queries})"
            )
        with tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = media
            sizes = (args.export_receipts // 10, args.export_receipts)
            for count in sizes:
                export_org(f"export-{count}", count, args.file_kb)
            for count in sizes:
                size, seconds, peak, queries = measure_export(client, f"export-{count}")
                print(
                    f"export of {count:6d} receipts ({args.file_kb} KiB files): "
                    f"{size / 2**20:7.1f} MiB in {seconds:5.1f} s   "
                    f"peak traced memory {peak:5.2f} MiB   queries {queries}"
                )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
