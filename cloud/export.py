"""The export of all an organisation's receipts before erasure: one ZIP, streamed.

``belege.csv`` (semicolons, German decimal comma, UTF-8 with BOM, so spreadsheet programs in
Germany open it as it is) and every receipt's file under ``belege/``. Rows are read with an
iterator and files through the storage API in chunks, and the ZIP is written to a stream that
hands each piece on at once, so memory stays flat at any number of receipts.
"""

import csv
import io
import zipfile
from collections.abc import Iterator

from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Organisation, Receipt

CHUNK = 64 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Pipe(io.RawIOBase):
    """A write-only, unseekable stream whose bytes are taken out after each write."""

    def __init__(self) -> None:
        # One growing buffer, not a list of pieces: closing the archive writes four small
        # pieces per file (the central directory) before they can be taken out.
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        return len(data)

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if value else ""


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def _arcname(receipt: Receipt) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in receipt.file_name)
    return f"belege/{receipt.pk}-{safe or 'beleg'}"


def receipts_of(organisation: Organisation):
    return (
        Receipt.all_tenants.filter(organisation=organisation)
        .select_related("project")
        .order_by("pk")
    )


def organisation_export(*, organisation: Organisation) -> Iterator[bytes]:
    """Yield the ZIP of ``organisation``'s receipts piece by piece."""
    pipe = _Pipe()
    with (
        translation.override("de"),
        zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        header = [
            _("Nr."),
            _("Belegdatum"),
            _("Betrag"),
            _("Währung"),
            _("Verwendungszweck"),
            _("Projekt"),
            _("Status"),
            _("Name des Einreichers"),
            _("E-Mail des Einreichers"),
            _("Erstattung per"),
            _("eingereicht am"),
            _("geprüft am"),
            _("Kommentar der Prüfung"),
            _("erstattet am"),
            _("gebucht am"),
            _("Datei"),
        ]
        with archive.open("belege.csv", "w", force_zip64=True) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            writer = csv.writer(text, delimiter=";")
            writer.writerow(header)
            for receipt in receipts_of(organisation).iterator(chunk_size=500):
                writer.writerow(
                    [
                        receipt.pk,
                        receipt.date.strftime("%d.%m.%Y"),
                        _amount(receipt.amount),
                        receipt.currency,
                        _cell(receipt.purpose),
                        _cell(receipt.project.name if receipt.project else ""),
                        receipt.get_status_display(),
                        _cell(receipt.submitter_name),
                        _cell(receipt.submitter_email),
                        receipt.get_refund_method_display(),
                        _when(receipt.created_at),
                        _when(receipt.reviewed_at),
                        _cell(receipt.review_comment),
                        _when(receipt.refunded_at),
                        _when(receipt.booked_at),
                        _arcname(receipt),
                    ]
                )
                text.flush()
                yield pipe.take()
            text.flush()
            text.detach()
        yield pipe.take()
        files = Receipt.all_tenants.filter(organisation=organisation).order_by("pk")
        for receipt in files.only("pk", "file", "file_name").iterator(chunk_size=500):
            try:
                source = default_storage.open(receipt.file.name, "rb")
            except FileNotFoundError:
                continue
            with source, archive.open(_arcname(receipt), "w", force_zip64=True) as target:
                for chunk in source.chunks(CHUNK):
                    target.write(chunk)
                    yield pipe.take()
            yield pipe.take()
    yield pipe.take()


def export_filename(organisation: Organisation) -> str:
    return f"optigem-cx-{organisation.slug}-{timezone.localdate():%Y-%m-%d}.zip"
