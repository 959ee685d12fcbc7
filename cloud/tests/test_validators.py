"""The upload check against hostile files, each built the way an attacker would build it."""

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

from cloud.validators import JPEG, PDF, PNG, check_receipt_file

from .factories import jpeg_bytes, pdf_bytes, png_bytes, upload


def raw_pdf(*objects: bytes, root: int = 1) -> bytes:
    """A PDF written by hand (objects numbered from 1) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """Catalog and page in the open; the action object (4) only inside a compressed object
    stream, reachable through a cross-reference stream (no plain-text trace of it)."""
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    head = b"4 0 "
    packed = zlib.compress(head + hidden)
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(plain, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets.append(len(out))
    out += (
        b"5 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(head), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[i], 0) for i in range(3)]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, offsets[3], 0)]
    xref_offset = len(out)
    rows.append(struct.pack(">BIH", 1, xref_offset, 0))
    table = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    )
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def page(extra: bytes = b"") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s >>" % extra


def with_catalog(key: str, value) -> bytes:
    def build(writer):
        writer._root_object[NameObject(key)] = value

    return pdf_bytes(build)


def action(kind: str, **entries) -> DictionaryObject:
    result = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        result[NameObject(f"/{key}")] = value
    return result


def _refused(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        check_receipt_file(upload(data, "beleg.pdf"))
    return caught.value.messages[0]


HOSTILE_PDFS = {
    "document JavaScript": raw_pdf(
        CATALOG % b"/Names << /JavaScript << /Names [(a) 4 0 R] >> >>",
        PAGES,
        page(),
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
    ),
    "OpenAction JavaScript": with_catalog(
        "/OpenAction", action("/JavaScript", JS=TextStringObject("app.alert(1)"))
    ),
    "OpenAction Launch": with_catalog(
        "/OpenAction", action("/Launch", F=TextStringObject("cmd.exe"))
    ),
    "OpenAction URI": with_catalog(
        "/OpenAction", action("/URI", URI=TextStringObject("https://example.org/"))
    ),
    "document AA SubmitForm": with_catalog(
        "/AA",
        DictionaryObject(
            {NameObject("/WC"): action("/SubmitForm", F=TextStringObject("https://x.test"))}
        ),
    ),
    "ImportData in a form field": with_catalog(
        "/AcroForm",
        DictionaryObject(
            {
                NameObject("/Fields"): ArrayObject(
                    [DictionaryObject({NameObject("/A"): action("/ImportData")})]
                )
            }
        ),
    ),
    "XFA form": with_catalog(
        "/AcroForm",
        DictionaryObject(
            {
                NameObject("/Fields"): ArrayObject(),
                NameObject("/XFA"): TextStringObject("<xdp/>"),
            }
        ),
    ),
    "embedded file": pdf_bytes(lambda w: w.add_attachment("rechnung.exe", b"\x00" * 64)),
    "name escapes": raw_pdf(
        CATALOG % b"/OpenAction << /S /#4Aava#53cript /#4AS (app.alert(1)) >>",
        PAGES,
        page(),
    ),
    "action in a compressed object stream": pdf_with_object_stream(
        b"<< /S /JavaScript /JS (app.alert(1)) >>"
    ),
    "page AA with URI": raw_pdf(
        CATALOG % b"", PAGES, page(b"/AA << /O << /S /URI /URI (https://x.test) >> >>")
    ),
    "link annotation Launch": raw_pdf(
        CATALOG % b"",
        PAGES,
        page(b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A 4 0 R >>]"),
        b"<< /S /Launch /F (calc.exe) >>",
    ),
    "navigation chained to JavaScript": raw_pdf(
        CATALOG % b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 4 0 R >>",
        PAGES,
        page(),
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
    ),
}


@pytest.mark.parametrize("name", HOSTILE_PDFS)
def test_a_pdf_with_active_content_is_refused(name):
    assert "weitere Inhalte" in _refused(HOSTILE_PDFS[name])


@pytest.mark.parametrize(
    "data",
    [
        pdf_bytes(),
        raw_pdf(CATALOG % b"/OpenAction [3 0 R /Fit]", PAGES, page()),
        raw_pdf(CATALOG % b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>", PAGES, page()),
        raw_pdf(CATALOG % b"", PAGES, page(b"/AA << /O << /S /Named /N /NextPage >> >>")),
        pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
    ],
    ids=["blank", "destination", "GoTo", "named next page", "object stream GoTo"],
)
def test_a_plain_pdf_with_page_navigation_is_accepted(data):
    assert check_receipt_file(upload(data, "beleg.pdf")) is PDF


def test_an_unparseable_pdf_is_refused_as_damaged():
    assert "beschädigt" in _refused(b"%PDF-1.7\n1 0 obj << /Type /Catalog \n%%EOF\n")


def test_an_encrypted_pdf_is_refused():
    assert "verschlüsselt" in _refused(pdf_bytes(lambda w: w.encrypt("geheim")))


def _png_with_bad_crc() -> bytes:
    data = bytearray(png_bytes(4, 4))
    data[29] ^= 0xFF  # the IHDR chunk's checksum
    return bytes(data)


def test_images_pass_through_pillow():
    assert check_receipt_file(upload(png_bytes(8, 8), "a.png")) is PNG
    assert check_receipt_file(upload(jpeg_bytes(8, 8), "a.jpg")) is JPEG


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_png_with_bad_crc(), "beschädigt"),
        (png_bytes(10_000, 10_000), "zu viele Bildpunkte"),
        (jpeg_bytes(60_000, 60_000), "zu viele Bildpunkte"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"IEND\xaeB`\x82", "beschädigt"),
    ],
    ids=["bad checksum", "png pixel bomb", "jpeg pixel bomb", "png without header"],
)
def test_hostile_images_are_refused(data, message):
    with pytest.raises(ValidationError) as caught:
        check_receipt_file(upload(data, "bild.png"))
    assert message in caught.value.messages[0]
