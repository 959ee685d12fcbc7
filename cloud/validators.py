"""Checks of untrusted input: uploaded receipts (by content, not by name), IBAN and BIC."""

import re
import struct
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_PIXELS = 60_000_000  # larger images are decompression bombs, not receipts

# Signatures that must not appear anywhere in a receipt: archives (a zip bomb, a JAR glued to
# an image), executables, and (compared case-insensitively) markup and PDF actions a browser
# or viewer could be tricked into running.
FORBIDDEN_BINARY = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"MZ\x90\x00",
    b"\x7fELF",
)
FORBIDDEN_TEXT = (
    b"<script",
    b"<html",
    b"<svg",
    b"<?php",
    b"/javascript",
    b"/js ",
    b"/launch",
    b"/embeddedfile",
)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


PDF = Kind("application/pdf", ".pdf")
PNG = Kind("image/png", ".png")
JPEG = Kind("image/jpeg", ".jpg")


def _png_pixels(data: bytes) -> int | None:
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width * height


def _jpeg_pixels(data: bytes) -> int | None:
    """Read the frame size from the first SOF marker."""
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width * height
        pos += 2 + length
    return None


def _kind_of(data: bytes) -> Kind:
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(_("Die PDF-Datei ist unvollständig oder beschädigt."))
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        pixels = _png_pixels(data)
        if pixels is None or not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
            raise ValidationError(_("Die PNG-Datei ist unvollständig oder beschädigt."))
        if pixels > MAX_PIXELS:
            raise ValidationError(_("Das Bild ist zu groß (zu viele Bildpunkte)."))
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        pixels = _jpeg_pixels(data)
        if pixels is None or not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise ValidationError(_("Die JPEG-Datei ist unvollständig oder beschädigt."))
        if pixels > MAX_PIXELS:
            raise ValidationError(_("Das Bild ist zu groß (zu viele Bildpunkte)."))
        return JPEG
    raise ValidationError(
        _("Bitte laden Sie den Beleg als PDF, JPEG oder PNG hoch; diese Datei ist keins davon.")
    )


def check_receipt_file(upload) -> Kind:
    """Return the file's real type, or raise ValidationError for anything but a clean receipt."""
    limit = settings.CLOUD_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("Die Datei ist zu groß (höchstens %(mb)s MB).") % {"mb": limit // (1024 * 1024)}
        )
    if upload.size == 0:
        raise ValidationError(_("Die Datei ist leer."))
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    kind = _kind_of(data)
    lowered = data.lower()
    if any(sig in data for sig in FORBIDDEN_BINARY) or any(
        sig in lowered for sig in FORBIDDEN_TEXT
    ):
        raise ValidationError(
            _(
                "Die Datei enthält neben dem Beleg weitere Inhalte (Archiv, Programm oder Skript) "
                "und wird deshalb nicht angenommen."
            )
        )
    return kind


IBAN_LENGTHS = {
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "VA": 22,
}


def normalise_iban(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def validate_iban(value: str) -> None:
    """SEPA country, length of that country, and the ISO 13616 mod-97 checksum."""
    iban = normalise_iban(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", iban):
        raise ValidationError(_("Das ist keine gültige IBAN."), code="invalid")
    country = iban[:2]
    if IBAN_LENGTHS.get(country) != len(iban):
        raise ValidationError(
            _("Die IBAN hat für das Land %(country)s nicht die richtige Länge.")
            % {"country": country},
            code="length",
        )
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise ValidationError(
            _("Die Prüfziffer der IBAN stimmt nicht; bitte prüfen Sie die Eingabe."),
            code="checksum",
        )


def validate_bic(value: str) -> None:
    if not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", value.strip().upper()):
        raise ValidationError(_("Das ist keine gültige BIC (8 oder 11 Zeichen)."), code="invalid")
