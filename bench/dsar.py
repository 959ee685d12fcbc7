"""Benchmark: discovery and Art. 15 export for one address among N rows per holder (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/optigem .venv/bin/python bench/dsar.py [N]

Works in a throw-away database ``bench_<name>`` (created, migrated and dropped again). Every
holder in ``registry.holders`` gets N rows, generated in SQL with ``generate_series``: the
holder's e-mail columns get ``bench<i>@example.org``, a relation in an e-mail lookup
(``actor__email``) gets N/100 related rows, every other column copies one template row. The
script prints, per holder, the plan of every query discovery runs for it and whether one of
them reads a table in full, then the timings of discovery (goal: under 50 ms) and of the JSON
and HTML exports.
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optigem_site.settings.dev")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from cloud import crypto  # noqa: E402
from dsar.discovery import access_answer, discover, holder_rows  # noqa: E402
from dsar.models import SubjectRequest  # noqa: E402
from privacy.digests import address_digest, normalise_email  # noqa: E402
from privacy.registry import Holder, registry  # noqa: E402

GOAL_MS = 50.0
REPEAT = 7

# Values a template row needs beyond what the field types suggest (to satisfy constraints).
TEMPLATE_VALUES: dict[str, dict] = {
    "dsar.SubjectRequest": {"wants_access": True, "requester_name": "Bench"},
    "privacy.LegalHold": {"content_type": None, "object_id": ""},  # a hold on an address
    "contact.Inquiry": {"event": None},  # a contact request (only training has an event)
    "cloud.Receipt": {
        "refund_account_encrypted": crypto.encrypt('{"paypal": "bench@example.org"}')
    },
}
# Columns that hold a person's key in another form than the plain address, as SQL of ``g``.
KEY_COLUMNS: dict[str, dict[str, str]] = {
    "dsar.Restriction": {"email_digest": "encode(sha256(('bench' || g)::bytea), 'hex')"},
    # The admin names a changed record by str(obj), often an address: one per entry.
    "admin.LogEntry": {"object_repr": "'bench' || g || '@example.org'"},
}
# After filling: give row ``g = target`` the real key for the target address.
TARGET_KEYS: dict[str, callable] = {
    "dsar.Restriction": lambda address: {"email_digest": address_digest(address)},
}


def bench_address(i: int) -> str:
    return f"bench{i}@example.org"


def _value_for(field: models.Field):
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if field.choices:
        return field.choices[0][0]
    match field.get_internal_type():
        case "BooleanField":
            return False
        case "DateField":
            return timezone.localdate()
        case "DateTimeField":
            return timezone.now()
        case "EmailField":
            return "template@example.org"
        case "JSONField":
            return {}
        case "DecimalField":
            return Decimal("1.00")
        case "UUIDField":
            return uuid.uuid4()
        case (
            "IntegerField"
            | "PositiveIntegerField"
            | "PositiveSmallIntegerField"
            | "BigIntegerField"
        ):
            return 1
        case _:
            return "x"


def template_row(model: type[models.Model]) -> models.Model:
    """One valid row to copy; foreign keys point at an existing (or new template) row."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and field.get_internal_type() in ("AutoField", "BigAutoField"):
            continue
        if field.is_relation:
            related = field.related_model
            values[field.name] = related._default_manager.first() or template_row(related)
        elif field.unique and field.get_internal_type() == "UUIDField":
            values[field.name] = uuid.uuid4()
        elif field.unique:
            values[field.name] = f"t{uuid.uuid4().hex[:12]}"
        else:
            values[field.name] = _value_for(field)
    values.update(TEMPLATE_VALUES.get(model._meta.label, {}))
    return model._default_manager.create(**values)


def email_paths(holder_model, lookups) -> tuple[set[str], dict[str, tuple]]:
    """Direct e-mail columns, and relations that lead to one (``actor__email``)."""
    direct, related = set(), {}
    for lookup in lookups:
        first, _sep, rest = lookup.partition("__")
        if not rest:
            direct.add(first)
        else:
            field = holder_model._meta.get_field(first)
            related[field.column] = (field.related_model, (rest,))
    return direct, related


def fill(model: type[models.Model], n: int, email_lookups=(), key_sql=None) -> None:
    """Insert n rows into model's table in one INSERT … SELECT over generate_series."""
    key_sql = key_sql or {}
    template = template_row(model)
    direct, related = email_paths(model, email_lookups)
    offsets = {}
    unique = {f.column for f in model._meta.concrete_fields if f.unique and not f.primary_key}
    in_constraint = {
        model._meta.get_field(name).column
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        for name in constraint.fields
    }
    for column, (related_model, lookups) in related.items():
        # One related row per row where the link is unique, else one per hundred rows.
        count = n if column in unique | in_constraint else max(n // 100, 1)
        start = (related_model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        fill(related_model, count, lookups)
        offsets[column] = (start + 1, count)  # +1: the related template row came first
    quote = connection.ops.quote_name
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        generated_key = field.primary_key and not field.get_internal_type().endswith("AutoField")
        if field.primary_key and not generated_key:
            continue
        column = field.column
        if field.name in key_sql or column in key_sql:
            expr = key_sql.get(field.name) or key_sql[column]
        elif field.name in direct:
            expr = "'bench' || g || '@example.org'"
        elif column in offsets:
            start, count = offsets[column]
            expr = f"{start} + ((g - 1) %% {count})"
        elif generated_key and field.get_internal_type() == "UUIDField":
            expr = "md5(random()::text || g)::uuid"
        elif generated_key:  # a text key such as a session's
            expr = "md5(random()::text || g)"
        elif column in unique and field.get_internal_type() == "UUIDField":
            expr = "md5(random()::text || g)::uuid"
        elif column in unique:
            expr = f"t.{quote(column)} || g"
        else:
            expr = f"t.{quote(column)}"
        columns.append(quote(column))
        exprs.append(expr)
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(exprs)} FROM generate_series(1, %s) AS g, "
            f"(SELECT * FROM {table} WHERE {pk} = %s) AS t",
            [n, template.pk],
        )
        cursor.execute(f"ANALYZE {table}")


def fill_holder(holder: Holder, n: int, target: str, index: int) -> float:
    model = holder.get_model()
    label = model._meta.label
    started = time.perf_counter()
    fill(model, n, holder.email_fields, KEY_COLUMNS.get(label))
    if label in TARGET_KEYS:
        rows = model._default_manager.order_by("pk")
        first = rows.values_list("pk", flat=True)[1]  # row g=1 follows the template row
        rows.filter(pk=first + index - 1).update(**TARGET_KEYS[label](target))
    return time.perf_counter() - started


def full_reads(plan: dict) -> list[str]:
    """The tables an analysed plan reads in full, with the rows read: a Seq Scan, or an index
    scan with no condition (the whole table in index order). The same rule as
    dsar/tests/test_discovery.py, which asserts that no query of discovery needs one."""
    node = plan["Node Type"]
    reads = []
    if node == "Seq Scan" or (
        node in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan
    ):
        rows = (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * plan["Actual Loops"]
        reads.append(f"{plan['Relation Name']} ({rows:,} rows)")
    for child in plan.get("Plans", ()):
        reads += full_reads(child)
    return reads


def explain(sql: str, options: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}")
        return [row[0] for row in cursor.fetchall()]


def timed(function, repeat: int = REPEAT) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times), result


def run(n: int) -> None:
    index = max(n // 200, 1)  # also among the N/100 related rows (the accounts of staff)
    target = bench_address(index).replace("bench", "Bench").replace("example", "EXAMPLE")
    print(f"PostgreSQL {connection.pg_version}, {n:,} rows per holder, address {target}\n")
    for holder in registry.holders.values():
        seconds = fill_holder(holder, n, target, index)
        print(f"filled {holder.model:<24} {n:>12,} rows in {seconds:6.1f} s")
    print()
    read_in_full = []
    for holder in registry.holders.values():
        # The queries discovery runs for this holder, also those a holder's ``find`` runs first.
        with CaptureQueriesContext(connection) as queries:
            holder_rows(holder, normalise_email(target))
        if not queries.captured_queries:  # it stores no address (consent receipts): no query
            print(f"--- {holder.model}: no query (it holds no e-mail address)\n")
        for query in queries.captured_queries:
            reads = full_reads(explain(query["sql"], "ANALYZE, FORMAT JSON")[0][0]["Plan"])
            read_in_full += [f"{holder.model}: {table}" for table in reads]
            print(f"--- {holder.model}: reads in full: {', '.join(reads) or 'nothing'}")
            print("\n".join(explain(query["sql"], "ANALYZE")), "\n")
    best, median, findings = timed(lambda: discover(target))
    rows = sum(len(f.rows) for f in findings)
    verdict = "met" if median < GOAL_MS else "MISSED"
    print(
        f"discovery: {rows} rows in {len(findings)} holders; "
        f"best {best:.1f} ms, median {median:.1f} ms (goal < {GOAL_MS:.0f} ms: {verdict})"
    )
    today = timezone.localdate()
    best, median, answer = timed(
        lambda: json.dumps(access_answer(discover(target), today=today), default=str)
    )
    print(
        f"export JSON (discovery included): {len(answer):,} bytes; "
        f"best {best:.1f} ms, median {median:.1f} ms"
    )
    letter_request = SubjectRequest(
        requester_name="Bench", postal_address="", received_on=today, letter_reference="B-1"
    )

    def letter() -> str:
        answer = access_answer(discover(target), today=today, printable=True)
        answer["request"] = {"reference": "B-1", "received_on": today.isoformat()}
        with translation.override("de"):
            return render_to_string(
                "dsar/answer.html", {"answer": answer, "request": letter_request, "today": today}
            )

    best, median, html = timed(letter)
    print(
        f"export HTML (discovery included): {len(html):,} bytes; "
        f"best {best:.1f} ms, median {median:.1f} ms"
    )
    print(f"\nqueries reading a table in full: {', '.join(read_in_full) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=1_000_000, help="rows per holder")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/dsar.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    db = settings.DATABASES["default"]
    db["TEST"] = {**db.get("TEST", {}), "NAME": f"bench_{db['NAME']}"}
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"database {name}")
        run(args.rows)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
