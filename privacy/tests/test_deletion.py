"""The deletion run: each kind of rule, statutory retention, holds, dry run, crash and resume."""

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.db.models.signals import post_delete
from django.forms.models import model_to_dict

from privacy.deletion import deletion_run
from privacy.deletion_report import reason_text
from privacy.models import DeletionLock, DeletionRun, DeletionRunStatus, LegalHold
from privacy.registry import RetentionHold, registry
from tests.retention_app.models import Inquiry, InquiryNote, Letter, Order, Registration, Voucher

from .factories import (
    NOW,
    berlin,
    inquiry,
    letter,
    order,
    record_of,
    registration,
    rule,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_lock(settings):
    """These tests use the database lease; test_locks.py covers Redis."""
    settings.REDIS_URL = ""


def run(*keys, **options):
    rules = [rule(key) for key in keys] if keys else None
    return deletion_run(now=options.pop("now", NOW), rules=rules, **options)


def test_a_delete_rule_removes_rows_past_their_period_and_keeps_the_rest():
    old = inquiry(created_at=berlin(2025, 9, 9, 12, 0), notes=2)
    young = inquiry(created_at=berlin(2025, 9, 11, 12, 0))

    result = run("test-inquiries")

    assert list(Inquiry.objects.all()) == [young]
    assert not InquiryNote.objects.filter(inquiry_id=old.pk).exists()
    report = record_of(result, "test-inquiries")
    assert report["done"] == 1
    assert report["cascaded"] == {"retention_app.InquiryNote": 2}
    assert report["held_total"] == 0


def test_a_rule_with_a_condition_removes_only_the_rows_it_names():
    unconfirmed = inquiry(created_at=NOW - timedelta(hours=73), confirmed=False)
    confirmed = inquiry(created_at=NOW - timedelta(hours=73), confirmed=True)
    fresh = inquiry(created_at=NOW - timedelta(hours=71), confirmed=False)

    run("test-inquiries-unconfirmed")

    remaining = set(Inquiry.objects.values_list("pk", flat=True))
    assert remaining == {confirmed.pk, fresh.pk}
    assert unconfirmed.pk not in remaining


def test_an_anonymising_rule_leaves_the_row_without_personal_data():
    old = registration(email="dora@example.com", created_at=berlin(2025, 3, 1, 10, 0))
    young = registration(email="emil@example.com", created_at=berlin(2025, 4, 1, 10, 0))

    result = run("test-registrations")

    old.refresh_from_db()
    assert (old.email, old.name, old.anonymised) == ("", "", True)
    assert old.event == "Schulung Finanzbuchhaltung"
    assert Registration.objects.count() == 2
    assert not registry.holders["retention_app.Registration"].rows_for("dora@example.com")
    young.refresh_from_db()
    assert young.email == "emil@example.com"
    assert record_of(result, "test-registrations")["done"] == 1
    assert record_of(run("test-registrations"), "test-registrations")["done"] == 0


def test_statutory_retention_keeps_an_invoice_until_the_end_of_its_tenth_year():
    closed = berlin(2020, 6, 1, 9, 0)
    expired = order(closed_at=closed, invoiced_on=date(2015, 12, 31))
    kept = order(closed_at=closed, invoiced_on=date(2016, 1, 1))
    never_invoiced = order(closed_at=closed, invoiced_on=None)
    open_order = order(closed_at=None, invoiced_on=date(2010, 1, 1))

    result = run("test-orders", now=berlin(2026, 1, 1, 3, 15))

    assert set(Order.objects.values_list("pk", flat=True)) == {kept.pk, open_order.pk}
    assert not Order.objects.filter(pk__in=[expired.pk, never_invoiced.pk]).exists()
    report = record_of(result, "test-orders")
    assert report["done"] == 2
    assert report["held"] == {"statutory:ao-147": 1}
    assert "§ 147 AO" in reason_text("statutory:ao-147")


@pytest.mark.parametrize(
    ("sent_at", "now", "kept"),
    [
        (berlin(2019, 12, 31, 23, 59), berlin(2025, 12, 31, 23, 0), True),
        (berlin(2019, 12, 31, 23, 59), berlin(2026, 1, 1, 0, 5), False),
        (berlin(2020, 1, 1, 0, 30), berlin(2026, 1, 1, 0, 5), True),
        (berlin(2020, 1, 1, 0, 30), berlin(2026, 12, 31, 23, 0), True),
        (berlin(2020, 1, 1, 0, 30), berlin(2027, 1, 1, 3, 15), False),
    ],
)
def test_the_31_december_edge_in_the_run(sent_at, now, kept):
    row = letter(sent_at=sent_at)

    result = run("test-letters", now=now)

    assert Letter.objects.filter(pk=row.pk).exists() is kept
    assert record_of(result, "test-letters")["held"] == ({"statutory:hgb-257": 1} if kept else {})


def test_a_legal_hold_on_a_row_keeps_it_and_is_reported_as_the_reason():
    held = inquiry(created_at=berlin(2024, 1, 1, 12, 0))
    other = inquiry(created_at=berlin(2024, 1, 1, 12, 0))
    hold = LegalHold.objects.create(
        content_type_id=_content_type(Inquiry),
        object_id=str(held.pk),
        reason="Rechtsstreit Az. 1 O 23/26",
        until=date(2026, 3, 10),
    )

    result = run("test-inquiries")

    assert list(Inquiry.objects.all()) == [held]
    assert not Inquiry.objects.filter(pk=other.pk).exists()
    report = record_of(result, "test-inquiries")
    assert report["held"] == {f"legal-hold:{hold.pk}": 1}
    assert reason_text(f"legal-hold:{hold.pk}") == f"Löschsperre Nr. {hold.pk} (bis 10.03.2026)"


def test_a_legal_hold_on_an_address_keeps_every_row_of_it():
    inquiry("frank@example.com", created_at=berlin(2024, 1, 1, 12, 0))
    order("Frank@Example.com", closed_at=berlin(2020, 1, 1, 12, 0), invoiced_on=None)
    inquiry("gina@example.com", created_at=berlin(2024, 1, 1, 12, 0))
    LegalHold.objects.create(email="frank@example.com", reason="Prüfung", until=date(2027, 1, 1))

    run("test-inquiries", "test-orders")

    assert list(Inquiry.objects.values_list("email", flat=True)) == ["frank@example.com"]
    assert Order.objects.count() == 1


def test_an_ended_legal_hold_no_longer_holds_and_is_itself_deleted():
    inquiry("frank@example.com", created_at=berlin(2024, 1, 1, 12, 0))
    LegalHold.objects.create(email="frank@example.com", reason="Prüfung", until=date(2026, 3, 9))

    result = run("test-inquiries", "legal-holds-ended")

    assert not Inquiry.objects.exists()
    assert not LegalHold.objects.exists()
    assert record_of(result, "legal-holds-ended")["done"] == 1


def test_a_hold_of_the_registry_keeps_rows_and_gives_its_reason(monkeypatch):
    inquiry("hans@example.com", created_at=berlin(2024, 1, 1, 12, 0))
    inquiry("ida@example.com", created_at=berlin(2024, 1, 1, 12, 0))
    pending = RetentionHold(
        key="test-open-request",
        reason="offene Anfrage der betroffenen Person",
        held=lambda rule, rows: rows.filter(email="hans@example.com"),
    )
    monkeypatch.setitem(registry.holds, pending.key, pending)

    result = run("test-inquiries")

    assert list(Inquiry.objects.values_list("email", flat=True)) == ["hans@example.com"]
    assert record_of(result, "test-inquiries")["held"] == {"test-open-request": 1}
    assert reason_text("test-open-request") == "offene Anfrage der betroffenen Person"


def test_a_hold_that_answers_with_too_many_rows_holds_only_expired_ones(monkeypatch):
    inquiry("hans@example.com", created_at=berlin(2024, 1, 1, 12, 0))
    inquiry("ida@example.com", created_at=berlin(2024, 1, 2, 12, 0))
    young = inquiry("hans@example.com", created_at=NOW)
    greedy = RetentionHold(
        key="test-greedy",
        reason="hält alle Zeilen einer Person",
        held=lambda rule, rows: Inquiry.objects.filter(email="hans@example.com"),
    )
    monkeypatch.setitem(registry.holds, greedy.key, greedy)

    result = run("test-inquiries", batch_size=1)

    assert Inquiry.objects.count() == 2
    assert Inquiry.objects.filter(pk=young.pk).exists()
    report = record_of(result, "test-inquiries")
    assert (report["done"], report["held"]) == (1, {"test-greedy": 1})


def test_a_run_goes_over_every_rule_of_the_registry_and_records_itself():
    result = deletion_run(now=NOW, started_by="beat")

    assert [r.rule for r in result.rules] == [r.key for r in registry.retention_rules]
    stored = DeletionRun.objects.get()
    assert stored.status == DeletionRunStatus.FINISHED
    assert stored.started_by == "beat"
    assert stored.finished_at >= stored.started_at
    assert [r["rule"] for r in stored.rules] == [r.key for r in registry.retention_rules]


def test_the_run_record_holds_no_personal_data():
    inquiry("julia.privat@example.com", created_at=berlin(2024, 1, 1, 12, 0), notes=1)
    registration("karl.privat@example.com", created_at=berlin(2024, 1, 1, 12, 0))
    LegalHold.objects.create(email="julia.privat@example.com", reason="Az. X", until=NOW.date())

    deletion_run(now=NOW)

    stored = json.dumps([DeletionRun.objects.values().get()], default=str)
    for personal in ("julia", "karl", "Anna", "Dora", "privat", "@", "Az. X"):
        assert personal not in stored


def test_rows_go_in_batches_that_each_commit():
    for day in range(1, 6):
        inquiry(created_at=berlin(2024, 1, day, 12, 0))

    result = run("test-inquiries", batch_size=2)

    report = record_of(result, "test-inquiries")
    assert (report["done"], report["batches"]) == (5, 3)
    assert not Inquiry.objects.exists()


def test_a_dry_run_changes_nothing_and_reports_what_the_run_then_does():
    inquiry("frank@example.com", created_at=berlin(2024, 1, 1, 12, 0), notes=1)
    inquiry(created_at=berlin(2024, 1, 2, 12, 0))
    order(closed_at=berlin(2020, 1, 1, 12, 0), invoiced_on=date(2019, 5, 1))
    registration(created_at=berlin(2024, 1, 1, 12, 0))
    LegalHold.objects.create(email="frank@example.com", reason="Prüfung", until=date(2027, 1, 1))
    before = _snapshot()

    preview = deletion_run(now=NOW, dry_run=True, batch_size=1)

    assert _snapshot() == before
    assert not DeletionRun.objects.exists()
    assert not DeletionLock.objects.exists()
    assert preview.run is None
    real = deletion_run(now=NOW, batch_size=1)
    for planned, done in zip(preview.rules, real.rules, strict=True):
        assert (planned.rule, planned.done, planned.held) == (done.rule, done.done, done.held)
    assert record_of(preview, "test-inquiries")["done"] == 1


def test_a_failing_rule_is_recorded_and_the_others_still_run():
    registration(created_at=berlin(2024, 1, 1, 12, 0))
    inquiry(created_at=berlin(2024, 1, 1, 12, 0))

    def broken(rows):
        raise RuntimeError("cannot anonymise dora@example.com")

    rules = [replace(rule("test-registrations"), anonymise=broken), rule("test-inquiries")]
    result = deletion_run(now=NOW, rules=rules)

    assert result.errors == [{"rule": "test-registrations", "error": "RuntimeError"}]
    assert not Inquiry.objects.exists()
    stored = DeletionRun.objects.get()
    assert stored.status == DeletionRunStatus.FAILED
    assert stored.errors == [{"rule": "test-registrations", "error": "RuntimeError"}]
    assert "dora" not in json.dumps(stored.rules)


class WorkerDied(BaseException):
    """Stands for the worker process dying mid-run (SIGKILL, out of memory, a deploy)."""


def test_a_run_that_dies_after_the_first_batch_is_finished_by_the_next_run():
    for day in range(1, 8):
        inquiry(created_at=berlin(2024, 1, day, 12, 0))
    deleted = []

    def die_in_the_second_batch(sender, instance, **kwargs):
        deleted.append(instance.pk)
        if len(deleted) > 3:
            raise WorkerDied

    post_delete.connect(die_in_the_second_batch, sender=Inquiry)
    try:
        with pytest.raises(WorkerDied):
            run("test-inquiries", batch_size=3)
    finally:
        post_delete.disconnect(die_in_the_second_batch, sender=Inquiry)

    assert Inquiry.objects.count() == 4
    crashed = DeletionRun.objects.get()
    assert crashed.status == DeletionRunStatus.ABORTED
    assert record_of_stored(crashed, "test-inquiries")["done"] == 3

    result = run("test-inquiries", batch_size=3)

    assert not Inquiry.objects.exists()
    assert record_of(result, "test-inquiries")["done"] == 4
    assert result.run.status == DeletionRunStatus.FINISHED


def test_a_killed_run_leaves_a_lease_that_runs_out_and_a_record_marked_aborted():
    inquiry(created_at=berlin(2024, 1, 1, 12, 0))
    dead = DeletionRun.objects.create(started_at=NOW, as_of=NOW, started_by="beat")
    DeletionLock.objects.create(
        name="deletion-run", token="dead-worker", expires_at=NOW - timedelta(seconds=1)
    )

    run("test-inquiries")

    dead.refresh_from_db()
    assert dead.status == DeletionRunStatus.ABORTED
    assert not Inquiry.objects.exists()
    assert DeletionLock.objects.get().token == ""


def record_of_stored(run_record: DeletionRun, key: str) -> dict:
    return next(r for r in run_record.rules if r["rule"] == key)


def _content_type(model) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk


def _snapshot() -> dict:
    return {
        model.__name__: sorted(
            (tuple(sorted(model_to_dict(row).items())) for row in model.objects.all()),
            key=repr,
        )
        for model in (Inquiry, InquiryNote, Order, Letter, Registration, LegalHold)
    }


@pytest.mark.parametrize("batch_size", [1, 2, 5000])
def test_rows_with_text_keys_are_paged_through(batch_size):
    for number in range(5):
        Voucher.objects.create(
            code=f"V{number}", email="lena@example.com", created_at=berlin(2025, 1, 1, 12, 0)
        )
    Voucher.objects.create(code="V9", email="lena@example.com", created_at=NOW)
    LegalHold.objects.create(
        content_type_id=_content_type(Voucher), object_id="V2", reason="Az.", until=NOW.date()
    )

    result = run("test-vouchers", batch_size=batch_size)

    assert sorted(Voucher.objects.values_list("code", flat=True)) == ["V2", "V9"]
    assert (
        record_of(result, "test-vouchers")["done"],
        record_of(result, "test-vouchers")["held_total"],
    ) == (4, 1)


def test_expired_rows_far_apart_are_all_found():
    rows = [inquiry(created_at=berlin(2024, 1, 1, 12, 0)) for _ in range(12)]
    young = [inquiry(created_at=NOW) for _ in range(30)]
    rows.append(inquiry(created_at=berlin(2024, 1, 1, 12, 0)))
    Inquiry.objects.filter(pk__in=[r.pk for r in young[:10]]).update(
        created_at=berlin(2024, 1, 1, 12, 0)
    )

    result = run("test-inquiries", batch_size=3)

    assert set(Inquiry.objects.values_list("pk", flat=True)) == {r.pk for r in young[10:]}
    assert record_of(result, "test-inquiries")["done"] == 23
