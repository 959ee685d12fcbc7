"""Write consent receipts as CSV: the proof of Art. 7(1) GDPR, for an authority or an audit."""

import csv
import uuid
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from consent.models import RECEIPT_FIELDS, ConsentReceipt
from privacy.audit import audit_log
from privacy.models import AuditAction

COLUMNS = RECEIPT_FIELDS


class Command(BaseCommand):
    help = "Export consent receipts as CSV (to standard output or --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write; standard output without it.")
        parser.add_argument("--consent-id", help="Only the receipts of this consent id.")
        parser.add_argument("--since", help="Only receipts from this day on (YYYY-MM-DD).")
        parser.add_argument("--until", help="Only receipts up to this day (YYYY-MM-DD).")

    def handle(self, *args, output=None, consent_id=None, since=None, until=None, **options):
        receipts = ConsentReceipt.objects.order_by("given_at", "pk")
        if consent_id:
            try:
                receipts = receipts.filter(consent_id=uuid.UUID(consent_id.strip()))
            except ValueError as exc:
                raise CommandError(f"Keine gültige Einwilligungs-ID: {consent_id!r}") from exc
        if since:
            receipts = receipts.filter(given_at__gte=_day_start(since))
        if until:
            receipts = receipts.filter(given_at__lt=_day_start(until, next_day=True))
        if output:
            with open(output, "w", newline="", encoding="utf-8") as stream:
                count = _write(stream, receipts)
            self.stderr.write(f"{count} Nachweise nach {output} geschrieben.")
        else:
            count = _write(self.stdout, receipts)
        # An export of proofs is an access to personal records: it goes into the audit log.
        audit_log(
            actor=None,
            action=AuditAction.EXPORT,
            model=ConsentReceipt,
            object_id=consent_id.strip() if consent_id else "*",
            note=f"consent_export: {count} Nachweise",
        )


def _day_start(text: str, *, next_day: bool = False) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Kein Datum im Format JJJJ-MM-TT: {text!r}") from exc
    if next_day:
        day = date.fromordinal(day.toordinal() + 1)
    return timezone.make_aware(datetime.combine(day, time.min))


def _write(stream, receipts) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for receipt in receipts.iterator():
        writer.writerow(
            (
                receipt.consent_id,
                receipt.given_at.isoformat(),
                receipt.action,
                " ".join(receipt.categories),
                receipt.policy_version,
                receipt.consent_hash,
                receipt.texts_hash,
                receipt.language,
            )
        )
        count += 1
    return count
