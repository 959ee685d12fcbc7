"""The export of all an organisation's receipts before erasure: one ZIP, streamed.

``belege.csv`` (semicolons, German decimal comma, UTF-8 with BOM, so spreadsheet programs in
Germany open it as it is) and every receipt's file under ``belege/``. Rows are read with an
iterator and files through the storage API in chunks, and each compressed piece is handed on at
once. The ZIP's central directory, which the format puts at the end and which grows with every
file, is kept in a temporary file rather than in memory (``zipfile`` keeps an object per
member), so memory stays flat at any number of receipts.
"""

import csv
import io
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO

from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Organisation, Receipt

CHUNK = 64 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ZIP64 = 45  # the version a reader needs for ZIP64 records
MADE_ON_UNIX = 3 << 8
UTF8_NAMES_AND_DESCRIPTOR = 0x0800 | 0x0008  # sizes follow the data (the output is a stream)
DEFLATED = 8
UNKNOWN32 = 0xFFFFFFFF  # "see the ZIP64 extra field"


class ZipStream:
    """A ZIP64 archive written front to back for an unseekable output."""

    def __init__(self, *, directory: IO[bytes], now: datetime) -> None:
        local = timezone.localtime(now)
        self.dos_time = local.hour << 11 | local.minute << 5 | local.second // 2
        self.dos_date = (local.year - 1980) << 9 | local.month << 5 | local.day
        self.offset = 0
        self.count = 0
        self.directory = directory  # the central directory until the end

    def _out(self, data: bytes) -> bytes:
        self.offset += len(data)
        return data

    def member(self, name: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield the member ``name`` (deflated ``chunks``) piece by piece."""
        encoded, start = name.encode(), self.offset
        stamp = (self.dos_time, self.dos_date)
        yield self._out(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                ZIP64,
                UTF8_NAMES_AND_DESCRIPTOR,
                DEFLATED,
                *stamp,
                0,
                UNKNOWN32,
                UNKNOWN32,
                len(encoded),
                20,
            )
            + encoded
            + struct.pack("<HHQQ", 1, 16, 0, 0)
        )
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        crc = size = packed = 0
        for chunk in chunks:
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
            if out := deflate.compress(chunk):
                packed += len(out)
                yield self._out(out)
        out = deflate.flush()
        packed += len(out)
        yield self._out(out + struct.pack("<IIQQ", 0x08074B50, crc, packed, size))
        extra = struct.pack("<HHQQQ", 1, 24, size, packed, start)
        self.directory.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                MADE_ON_UNIX | ZIP64,
                ZIP64,
                UTF8_NAMES_AND_DESCRIPTOR,
                DEFLATED,
                *stamp,
                crc,
                UNKNOWN32,
                UNKNOWN32,
                len(encoded),
                len(extra),
                0,
                0,
                0,
                0o100600 << 16,  # a regular file, readable by its owner
                UNKNOWN32,
            )
            + encoded
            + extra
        )
        self.count += 1

    def close(self) -> Iterator[bytes]:
        """Yield the central directory and the end records."""
        start, size = self.offset, self.directory.tell()
        self.directory.seek(0)
        while chunk := self.directory.read(CHUNK):
            yield self._out(chunk)
        end = self.offset
        records = (
            struct.pack(
                "<IQHHIIQQQQ",
                0x06064B50,
                44,
                ZIP64,
                ZIP64,
                0,
                0,
                self.count,
                self.count,
                size,
                start,
            )
            + struct.pack("<IIQI", 0x07064B50, 0, end, 1)
            + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, UNKNOWN32, UNKNOWN32, 0)
        )
        yield self._out(records)


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


def _header() -> list[str]:
    return [
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


def _row(receipt: Receipt) -> list:
    return [
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


def _csv(organisation: Organisation) -> Iterator[bytes]:
    """belege.csv in pieces of about ``CHUNK`` bytes."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    with translation.override("de"):
        writer.writerow(_header())
        for receipt in receipts_of(organisation).iterator(chunk_size=500):
            writer.writerow(_row(receipt))
            if text.tell() >= CHUNK:
                yield text.getvalue().encode()
                text.seek(0)
                text.truncate()
    yield text.getvalue().encode()


def _bom_first(pieces: Iterator[bytes]) -> Iterator[bytes]:
    yield "\ufeff".encode()
    yield from pieces


def organisation_export(*, organisation: Organisation) -> Iterator[bytes]:
    """Yield the ZIP of ``organisation``'s receipts piece by piece."""
    with tempfile.TemporaryFile() as directory:
        archive = ZipStream(directory=directory, now=timezone.now())
        yield from archive.member("belege.csv", _bom_first(_csv(organisation)))
        files = Receipt.all_tenants.filter(organisation=organisation).order_by("pk")
        for receipt in files.only("pk", "file", "file_name").iterator(chunk_size=500):
            if not receipt.file.name:
                continue
            try:
                source = default_storage.open(receipt.file.name, "rb")
            except FileNotFoundError:
                continue
            with source:
                yield from archive.member(_arcname(receipt), source.chunks(CHUNK))
        yield from archive.close()


def export_filename(organisation: Organisation) -> str:
    return f"optigem-cx-{organisation.slug}-{timezone.localdate():%Y-%m-%d}.zip"
