"""Checks of untrusted input: uploaded receipts (by content, not by name), IBAN and BIC."""

import io
import re
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PdfStreamError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MAX_PIXELS = 60_000_000  # larger images are decompression bombs, not receipts
MAX_PDF_OBJECTS = 200_000  # more objects than any scanned receipt has; bounds the walk

# Signatures that must not appear anywhere in a receipt: archives (a zip bomb, a JAR glued to
# an image), executables, and (compared case-insensitively) markup a browser could be tricked
# into running. What a PDF may do is decided by parsing it (``_check_pdf``), not by its bytes.
FORBIDDEN_BINARY = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"MZ\x90\x00",
    b"\x7fELF",
)
FORBIDDEN_TEXT = (b"<script", b"<html", b"<svg", b"<?php")

# PDF actions a viewer runs or that reach outside the document; only page navigation may
# remain (``/GoTo`` and the four named page moves).
NAVIGATION_ACTIONS = frozenset({"/GoTo"})
NAVIGATION_NAMES = frozenset({"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"})
FORBIDDEN_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/XFA"})
FORBIDDEN_TYPES = frozenset({"/EmbeddedFile", "/Filespec", "/FileAttachment", "/RichMedia"})
# Action types refused wherever they stand (a link, a form field, a page's actions). ``/S``
# also names structure roles, transition styles and mask kinds, none of which is listed here.
FORBIDDEN_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/URI",
        "/SubmitForm",
        "/ImportData",
        "/ResetForm",
        "/GoToR",
        "/GoToE",
        "/Rendition",
        "/Sound",
        "/Movie",
        "/RichMediaExecute",
        "/Hide",
    }
)

ACTIVE_CONTENT = _(
    "Die Datei enthält neben dem Beleg weitere Inhalte (Archiv, Programm, Skript, Aktion oder "
    "eingebettete Datei) und wird deshalb nicht angenommen."
)


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


PDF = Kind("application/pdf", ".pdf")
PNG = Kind("image/png", ".png")
JPEG = Kind("image/jpeg", ".jpg")


def _is_navigation(action) -> bool:
    """A plain page move: GoTo within the document or a named page action, with no chain."""
    if not isinstance(action, DictionaryObject):
        return False
    kind = action.get("/S")
    if "/Next" in action:
        return False
    if kind in NAVIGATION_ACTIONS:
        return True
    return kind == "/Named" and action.get("/N") in NAVIGATION_NAMES


def _forbidden_in(obj: DictionaryObject) -> bool:
    if FORBIDDEN_KEYS.intersection(obj.keys()):
        return True
    if obj.get("/Type") in FORBIDDEN_TYPES or obj.get("/Subtype") in FORBIDDEN_TYPES:
        return True
    if obj.get("/S") in FORBIDDEN_ACTIONS:
        return True
    opening = obj.get("/OpenAction")
    if opening is not None:
        opening = opening.get_object()
        # An array is a destination (a page to show), which is navigation.
        if not isinstance(opening, ArrayObject) and not _is_navigation(opening):
            return True
    if "/AA" in obj:
        triggers = obj["/AA"].get_object()
        if not isinstance(triggers, DictionaryObject):
            return True
        if not all(_is_navigation(a.get_object()) for a in triggers.values()):
            return True
    return False


def _children(obj):
    if isinstance(obj, DictionaryObject):
        return obj.values()
    if isinstance(obj, ArrayObject):
        return obj
    return ()


def _check_pdf(data: bytes) -> None:
    """Parse the PDF (names unescaped, object streams unpacked) and refuse active content.

    Every object the cross-reference knows and every object reachable from the trailer is
    looked at, so an action hidden in a compressed object stream or behind a name escape
    (``/#4Aava#53cript``) is found like a plain one.
    """
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("Die PDF-Datei ist verschlüsselt; bitte laden Sie sie ohne Kennwort hoch.")
            )
        pending: list = [reader.trailer]
        for generation, numbers in reader.xref.items():
            pending.extend(IndirectObject(n, generation, reader) for n in numbers)
        pending.extend(IndirectObject(n, 0, reader) for n in reader.xref_objStm)
        seen: set[tuple[int, int]] = set()
        while pending:
            item = pending.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                if len(seen) > MAX_PDF_OBJECTS:
                    raise ValidationError(_("Die PDF-Datei ist zu komplex für einen Beleg."))
                item = item.get_object()
            if isinstance(item, DictionaryObject) and _forbidden_in(item):
                raise ValidationError(ACTIVE_CONTENT, code="active")
            pending.extend(_children(item))
    except ValidationError:
        raise
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ValidationError(_("Die PDF-Datei ist unvollständig oder beschädigt.")) from exc


def _check_image(data: bytes, kind: Kind, name: str) -> None:
    """Pillow reads the header (size, format) and ``verify`` checks the structure."""
    broken = _("Die %(name)s-Datei ist unvollständig oder beschädigt.") % {"name": name}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != name:
                    raise ValidationError(broken)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ValidationError(_("Das Bild ist zu groß (zu viele Bildpunkte)."))
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(_("Das Bild ist zu groß (zu viele Bildpunkte).")) from exc
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise ValidationError(broken) from exc


def _kind_of(data: bytes) -> Kind:
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(_("Die PDF-Datei ist unvollständig oder beschädigt."))
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        # Nothing may follow the image's end (a script or archive glued behind it).
        if not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
            raise ValidationError(_("Die PNG-Datei ist unvollständig oder beschädigt."))
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise ValidationError(_("Die JPEG-Datei ist unvollständig oder beschädigt."))
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
        raise ValidationError(ACTIVE_CONTENT, code="active")
    if kind is PDF:
        _check_pdf(data)
    else:
        _check_image(data, kind, "PNG" if kind is PNG else "JPEG")
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
