import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from consent.models import ConsentReceipt
from consent.services import consent_give
from privacy.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


def _export(*args) -> list[dict]:
    out = io.StringIO()
    call_command("consent_export", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_export_writes_every_receipt_as_csv():
    first = consent_give(categories={"statistics"}, action="all", language="de")
    consent_give(categories=set(), action="necessary", language="en", consent_id=first.consent_id)
    rows = _export()
    assert [row["action"] for row in rows] == ["all", "necessary"]
    assert rows[0]["consent_id"] == str(first.consent_id)
    assert rows[0]["categories"] == "statistics"
    assert rows[0]["texts_hash"] == first.texts_hash
    assert set(rows[0]) == {
        "consent_id",
        "given_at",
        "action",
        "categories",
        "policy_version",
        "consent_hash",
        "texts_hash",
        "language",
    }


def test_export_filters_by_consent_id_and_day(tmp_path):
    old = consent_give(
        categories=set(),
        action="necessary",
        language="de",
        now=datetime(2026, 1, 10, 12, tzinfo=ZoneInfo("Europe/Berlin")),
    )
    new = consent_give(categories={"statistics"}, action="all", language="de")
    assert [r["consent_id"] for r in _export("--consent-id", str(new.consent_id))] == [
        str(new.consent_id)
    ]
    assert [r["consent_id"] for r in _export("--until", "2026-01-10")] == [str(old.consent_id)]
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert [r["consent_id"] for r in _export("--since", since)] == [str(new.consent_id)]
    target = tmp_path / "receipts.csv"
    call_command("consent_export", "--output", str(target), stderr=io.StringIO())
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3


def test_every_export_is_written_to_the_audit_log():
    receipt = consent_give(categories=set(), action="necessary", language="de")
    _export("--consent-id", str(receipt.consent_id))
    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.EXPORT
    assert entry.object_id == str(receipt.consent_id)
    assert entry.note == "consent_export: 1 Nachweise"


def test_export_refuses_bad_input_in_german():
    with pytest.raises(CommandError, match="Keine gültige Einwilligungs-ID"):
        _export("--consent-id", "abc")
    with pytest.raises(CommandError, match="Kein Datum"):
        _export("--since", "10.01.2026")
    assert not ConsentReceipt.objects.exists()
    assert not AuditEntry.objects.exists()
