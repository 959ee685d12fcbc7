"""Plain helpers that build cloud objects for tests (keyword-only, no magic)."""

import datetime
import io
import struct
import zlib
from decimal import Decimal
from itertools import count

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from cloud.models import Account, Membership, Organisation, Project, Receipt, Role
from cloud.services.receipts import receipt_submit
from cloud.validators import PDF
from tests.browser.helpers import pass_second_factor

PASSWORD = "ein-langes-Passwort-2024"
_serial = count(1)


def pdf_bytes(build=None) -> bytes:
    """A real one-page PDF (cross-reference and all); ``build(writer)`` may add to it."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if build is not None:
        build(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_BYTES = pdf_bytes()


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\x00" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def jpeg_bytes(width: int = 1, height: int = 1) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return (
        b"\xff\xd8"
        + app0
        + sof
        + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
        + b"\x00"
        + b"\xff\xd9"
    )


def upload(data: bytes = PDF_BYTES, name: str = "beleg.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def make_organisation(*, slug: str | None = None) -> Organisation:
    n = next(_serial)
    return Organisation.objects.create(name=f"Verein {n}", slug=slug or f"verein-{n}")


def make_user(*, email: str | None = None, name: str = "Erika Muster"):
    email = email or f"person{next(_serial)}@example.org"
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    Account.objects.create(user=user, name=name)
    return user


def make_member(*, organisation: Organisation, role: str = Role.SUBMITTER, user=None) -> Membership:
    return Membership.all_tenants.create(
        organisation=organisation, user=user or make_user(), role=role
    )


def make_project(*, organisation: Organisation, name: str = "Jugendfreizeit") -> Project:
    return Project.all_tenants.create(organisation=organisation, name=name)


def make_receipt(
    *, membership: Membership, amount: str = "12.50", project=None, **fields
) -> Receipt:
    data = {
        "submitter_name": "Erika Muster",
        "submitter_email": membership.user.email,
        "project": project,
        "date": fields.pop("date", timezone.localdate() - datetime.timedelta(days=3)),
        "amount": Decimal(amount),
        "currency": "EUR",
        "purpose": "Bastelmaterial",
        "refund_method": "bank",
    }
    receipt = receipt_submit(
        membership=membership,
        data=data,
        upload=upload(),
        kind=PDF,
        refund_account={
            "holder": "Erika Muster",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
        },
    )
    if fields:
        for name, value in fields.items():
            setattr(receipt, name, value)
        receipt.save()
    return receipt


def sign_in(client, user, *, second_factor: bool = True):
    """Sign the user in as the login flow would, including a confirmed second factor."""
    client.force_login(user)
    if second_factor:
        pass_second_factor(client, user)
    return client
