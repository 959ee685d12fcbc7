"""``manage.py run_deletion [--dry-run]`` prints per rule what goes and what is held back, and why."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from privacy.locks import run_lock
from privacy.models import DeletionRun, LegalHold
from tests.retention_app.models import Inquiry, Order

from .factories import berlin, inquiry, order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_lock(settings):
    settings.REDIS_URL = ""


@pytest.fixture
def expired_rows():
    """Rows that expired years ago (the command runs as of the real clock)."""
    inquiry("frank@example.com", created_at=berlin(2020, 1, 1, 12, 0), notes=1)
    inquiry("gina@example.com", created_at=berlin(2020, 1, 2, 12, 0))
    inquiry("hans@example.com", created_at=berlin(2020, 1, 3, 12, 0))
    this_year = timezone.localdate().year
    order(closed_at=berlin(2020, 1, 1, 12, 0), invoiced_on=date(this_year - 1, 5, 1))
    return LegalHold.objects.create(
        email="frank@example.com", reason="Az. 1 O 23/26", until=date(this_year + 1, 1, 1)
    )


def run_command(*args) -> str:
    out = StringIO()
    call_command("run_deletion", *args, stdout=out)
    return out.getvalue()


def test_the_dry_run_prints_what_would_go_and_why_the_rest_stays(expired_rows):
    output = run_command("--dry-run")

    assert "Probelauf" in output
    assert (
        "„Anfragen sechs Monate nach Eingang“ (inquirys): würden gelöscht: 2, zurückgehalten: 1"
        in output
    )
    assert f"1 zurückgehalten wegen: Löschsperre Nr. {expired_rows.pk} (bis " in output
    assert (
        "„Aufträge ein Jahr nach Abschluss, Rechnungen zehn Jahre“ (orders): würden gelöscht: 0, zurückgehalten: 1"
        in output
    )
    assert "1 zurückgehalten wegen: gesetzliche Aufbewahrungspflicht nach § 147 AO" in output
    assert "frank@example.com" not in output
    # The kind of data in words (the model's verbose name), never "privacy.AuditEntry".
    assert (
        "„Protokolleinträge werden 3 Jahre nach ihrer Entstehung gelöscht“ (Zugriffsprotokoll): würden gelöscht"
        in output
    )
    assert "privacy.AuditEntry" not in output
    assert Inquiry.objects.count() == 3
    assert Order.objects.count() == 1
    assert not DeletionRun.objects.exists()


def test_the_run_deletes_and_prints_the_same_report(expired_rows):
    output = run_command()

    run = DeletionRun.objects.get()
    assert f"Löschlauf Nr. {run.pk}" in output
    assert (
        "„Anfragen sechs Monate nach Eingang“ (inquirys): gelöscht: 2, zurückgehalten: 1" in output
    )
    assert "abhängige Datensätze mitgelöscht (inquiry notes)" not in output
    assert list(Inquiry.objects.values_list("email", flat=True)) == ["frank@example.com"]


def test_the_command_refuses_while_another_run_holds_the_lock(expired_rows):
    other = run_lock()
    other.acquire()
    try:
        with pytest.raises(CommandError, match="Ein anderer Löschlauf läuft gerade"):
            run_command()
    finally:
        other.release()
    assert Inquiry.objects.count() == 3


def test_a_batch_size_below_one_is_refused_in_german():
    with pytest.raises(CommandError, match="Stapelgröße muss mindestens 1 sein"):
        run_command("--batch-size", "0")
