"""Receipts: upload checks by content, refund accounts, review, refund, file access."""

import datetime
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cloud import crypto
from cloud.models import Receipt, Role, Status

from .factories import (
    PDF_BYTES,
    jpeg_bytes,
    make_member,
    make_organisation,
    make_project,
    make_receipt,
    png_bytes,
    sign_in,
    upload,
)

pytestmark = pytest.mark.django_db

IBAN = "DE89 3704 0044 0532 0130 00"


def _form(**overrides):
    data = {
        "date": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "amount": "49.90",
        "currency": "EUR",
        "purpose": "Fahrtkosten Jugendfreizeit",
        "submitter_name": "Erika Muster",
        "submitter_email": "erika@example.org",
        "refund_method": "bank",
        "account_holder": "Erika Muster",
        "iban": IBAN,
        "bic": "COBADEFFXXX",
        "file": upload(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def submitter(client):
    member = make_member(organisation=make_organisation(), role=Role.SUBMITTER)
    sign_in(client, member.user)
    return member


def _submit(client, member, **overrides):
    url = reverse("cloud:receipt_new", kwargs={"org": member.organisation.slug})
    return client.post(url, _form(**overrides))


def test_a_pdf_receipt_is_stored_outside_the_web_root_with_an_encrypted_account(
    client, submitter, settings
):
    response = _submit(client, submitter)
    assert response.status_code == 302
    receipt = Receipt.all_tenants.get()
    assert receipt.status == Status.SUBMITTED
    assert receipt.refund_account == {
        "holder": "Erika Muster",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    }
    path = receipt.file.path
    assert path.startswith(str(settings.MEDIA_ROOT))
    assert f"/cloud/{receipt.organisation_id}/" in path
    assert Path(path).read_bytes() == PDF_BYTES
    with connection.cursor() as cursor:
        cursor.execute("SELECT refund_account_encrypted FROM cloud_receipt")
        (stored,) = cursor.fetchone()
    assert "DE89" not in stored and "Muster" not in stored
    assert json.loads(crypto.decrypt(stored))["iban"] == "DE89370400440532013000"


@pytest.mark.parametrize(
    ("data", "name"),
    [(png_bytes(20, 10), "foto.png"), (jpeg_bytes(20, 10), "scan.JPG")],
)
def test_images_are_accepted_by_content(client, submitter, data, name):
    assert _submit(client, submitter, file=upload(data, name)).status_code == 302
    assert Receipt.all_tenants.get().file_name == name


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"\x00" * 5_000_000)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "rechnung.pdf", "keins davon"),
        (_zip_bomb(), "beleg.pdf", "keins davon"),
        (PDF_BYTES + _zip_bomb() + b"\n%%EOF\n", "beleg.pdf", "weitere Inhalte"),
        (png_bytes() + b"<script>alert(1)</script>", "bild.png", "beschädigt"),
        (
            png_bytes()[:-12] + b"<html><script>alert(1)</script>" + png_bytes()[-12:],
            "b.png",
            "weitere Inhalte",
        ),
        (
            b"%PDF-1.4\n/OpenAction << /S /JavaScript /JS (app.alert(1)) >>\n%%EOF",
            "x.pdf",
            "beschädigt",
        ),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "kaputt.pdf", "unvollständig"),
        (png_bytes(100_000, 100_000), "riesig.png", "zu viele Bildpunkte"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "bild.png", "keins davon"),
        (b"", "leer.pdf", "leer"),
    ],
)
def test_disguised_or_dangerous_uploads_are_refused_and_nothing_is_stored(
    client, submitter, settings, data, name, message
):
    response = _submit(client, submitter, file=upload(data, name))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Receipt.all_tenants.count() == 0
    assert not (settings.MEDIA_ROOT / "cloud").exists() or not any(
        (settings.MEDIA_ROOT / "cloud").rglob("*.*")
    )
    assert response.context["form"]["purpose"].value() == "Fahrtkosten Jugendfreizeit"


def test_an_oversized_upload_is_refused(client, submitter, settings):
    settings.CLOUD_MAX_UPLOAD_BYTES = 1024 * 1024
    big = PDF_BYTES[:-6] + b"0" * (1024 * 1024) + b"\n%%EOF\n"
    response = _submit(client, submitter, file=upload(big))
    assert "zu groß" in response.content.decode()
    assert Receipt.all_tenants.count() == 0


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("DE89 3704 0044 0532 0130 01", "Prüfziffer"),
        ("DE89 3704 0044 0532 0130", "Länge"),
        ("XX89370400440532013000", "Länge"),
        ("<script>", "keine gültige IBAN"),
    ],
)
def test_invalid_ibans_are_refused_with_a_clear_message(client, submitter, iban, message):
    response = _submit(client, submitter, iban=iban)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Receipt.all_tenants.count() == 0


def test_valid_foreign_iban_and_paypal_are_accepted(client, submitter):
    assert (
        _submit(client, submitter, iban="GB82 WEST 1234 5698 7654 32", bic="NWBKGB2L").status_code
        == 302
    )
    assert (
        _submit(
            client,
            submitter,
            refund_method="paypal",
            paypal_email="Erika@Example.org",
            iban="",
            bic="",
        ).status_code
        == 302
    )
    assert Receipt.all_tenants.order_by("pk").last().refund_account == {
        "paypal": "erika@example.org"
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-5"),
        ("amount", "0"),
        ("amount", "1e9"),
        ("amount", "100000.01"),
        ("amount", "abc"),
        ("amount", "NaN"),
        ("currency", "BTC"),
        ("date", "2999-01-01"),
        ("date", "1900-01-01"),
        ("bic", "NOPE"),
        ("purpose", "Zeile\x00mit Nullbyte"),
        ("submitter_email", "kein-mail"),
    ],
)
def test_absurd_values_are_refused_and_nothing_is_stored(client, submitter, field, value):
    response = _submit(client, submitter, **{field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert Receipt.all_tenants.count() == 0


def test_html_in_text_fields_is_shown_as_text(client, submitter):
    script = "<script>alert('x')</script>"
    _submit(client, submitter, purpose=script, submitter_name=script, account_holder=script)
    receipt = Receipt.all_tenants.get()
    page = client.get(
        reverse("cloud:receipt", kwargs={"org": submitter.organisation.slug, "pk": receipt.pk})
    ).content.decode()
    listing = client.get(
        reverse("cloud:receipts", kwargs={"org": submitter.organisation.slug})
    ).content.decode()
    for html in (page, listing):
        assert script not in html
        assert "&lt;script&gt;" in html


def test_a_project_of_another_organisation_is_an_invalid_choice(client, submitter):
    foreign = make_project(organisation=make_organisation())
    own = make_project(organisation=submitter.organisation, name="Chor")
    response = _submit(client, submitter, project=str(foreign.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["project"]
    assert Receipt.all_tenants.count() == 0
    assert _submit(client, submitter, project=str(own.pk)).status_code == 302
    assert Receipt.all_tenants.get().project == own


def test_reviewer_approves_rejects_and_marks_refunded(client):
    org = make_organisation()
    reviewer = make_member(organisation=org, role=Role.REVIEWER)
    submitter = make_member(organisation=org)
    first, second = make_receipt(membership=submitter), make_receipt(membership=submitter)
    sign_in(client, reviewer.user)

    def url(name, receipt):
        return reverse(f"cloud:{name}", kwargs={"org": org.slug, "pk": receipt.pk})

    response = client.post(url("receipt_review", second), {"decision": "reject"})
    assert response.status_code == 400
    assert "begründen" in response.content.decode()
    client.post(url("receipt_review", first), {"decision": "approve", "comment": "passt"})
    client.post(url("receipt_review", second), {"decision": "reject", "comment": "privat"})
    client.post(url("receipt_refunded", first))
    client.post(url("receipt_refunded", second))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.reviewed_by, first.refunded_at is not None) == (
        Status.REFUNDED,
        reviewer.user,
        True,
    )
    assert (second.status, second.review_comment) == (Status.REJECTED, "privat")
    response = client.post(url("receipt_review", first), {"decision": "reject", "comment": "x"})
    first.refresh_from_db()
    assert first.status == Status.REFUNDED


def test_bic_is_optional_and_amounts_read_the_german_way(client, submitter):
    assert _submit(client, submitter, bic="", amount="1234,5").status_code == 302
    receipt = Receipt.all_tenants.get()
    assert receipt.refund_account["bic"] == ""
    org = submitter.organisation.slug
    listing = client.get(reverse("cloud:receipts", kwargs={"org": org})).content.decode()
    detail = client.get(reverse("cloud:receipt", kwargs={"org": org, "pk": receipt.pk}))
    for page in (listing, detail.content.decode()):
        assert "1.234,50\u00a0€" in page
        assert "EUR</" not in page and "1234.50" not in page


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("1234.50", "1.234,50"), ("1234,5", "1.234,50"), ("1.234,50", "1.234,50"), ("7", "7,00")],
)
def test_a_valid_amount_is_shown_back_the_german_way_after_another_field_fails(
    client, submitter, typed, shown
):
    response = _submit(client, submitter, amount=typed, iban="DE00 0000")
    assert response.status_code == 200 and "amount" not in response.context["form"].errors
    assert f'name="amount" value="{shown}"' in response.content.decode()
    # Sent again as shown, it is the same amount.
    assert _submit(client, submitter, amount=shown).status_code == 302
    assert Receipt.all_tenants.get().amount == Decimal(shown.replace(".", "").replace(",", "."))


@pytest.mark.parametrize("typed", ["12,345", "abc", "0", "1.2.3,4"])
def test_an_invalid_amount_is_shown_back_as_typed(client, submitter, typed):
    response = _submit(client, submitter, amount=typed)
    assert response.context["form"].errors["amount"]
    assert f'name="amount" value="{typed}"' in response.content.decode()


def test_a_checked_file_is_kept_when_another_field_fails(client, submitter):
    import re

    from django.core.files.storage import default_storage

    from cloud.services.uploads import PENDING_DIR

    response = _submit(client, submitter, iban="DE00 0000", file=upload(name="Tankquittung.pdf"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Die Datei „Tankquittung.pdf“ bleibt erhalten" in page
    assert 'value="DE00 0000"' in page  # what was typed stays
    token = re.search(r'name="kept_file" value="([^"]+)"', page).group(1)
    assert len(default_storage.listdir(PENDING_DIR)[1]) == 1
    assert Receipt.all_tenants.count() == 0

    # Another member cannot use the token; without a file the form asks for one.
    stranger = make_member(organisation=submitter.organisation)
    sign_in(client, stranger.user)
    data = _form(kept_file=token)
    del data["file"]
    url = reverse("cloud:receipt_new", kwargs={"org": submitter.organisation.slug})
    assert "Bitte wählen Sie die Datei" in client.post(url, data).content.decode()

    sign_in(client, submitter.user)
    assert client.post(url, data).status_code == 302
    receipt = Receipt.all_tenants.get()
    assert receipt.file_name == "Tankquittung.pdf"
    assert receipt.file.read() == PDF_BYTES
    assert default_storage.listdir(PENDING_DIR)[1] == []
    # The token is spent: the file it named is gone.
    assert "Bitte wählen Sie die Datei" in client.post(url, data).content.decode()


def test_kept_uploads_are_removed_after_a_day(client, submitter):
    from django.core.files.storage import default_storage

    from cloud.services.uploads import PENDING_DIR, pending_uploads_remove

    _submit(client, submitter, amount="0")
    assert pending_uploads_remove() == 0
    later = timezone.now() + datetime.timedelta(days=1, minutes=1)
    assert pending_uploads_remove(now=later) == 1
    assert default_storage.listdir(PENDING_DIR)[1] == []


def test_the_submitter_is_mailed_each_decision_once_without_amount_or_iban(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    from cloud.models import MailState, OutgoingMail
    from cloud.tasks import send_mails, send_unsent_mails

    org = make_organisation()
    reviewer = make_member(organisation=org, role=Role.REVIEWER)
    submitter = make_member(organisation=org)
    first, second = make_receipt(membership=submitter), make_receipt(membership=submitter)
    sign_in(client, reviewer.user)

    def url(name, receipt):
        return reverse(f"cloud:{name}", kwargs={"org": org.slug, "pk": receipt.pk})

    for name, receipt, data in [
        ("receipt_review", first, {"decision": "approve", "comment": "passt"}),
        ("receipt_review", second, {"decision": "reject", "comment": "privat"}),
        ("receipt_refunded", first, {}),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url(name, receipt), data)
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "OPTIGEM CX: Ihr Beleg wurde genehmigt",
        "OPTIGEM CX: Ihr Beleg wurde abgelehnt",
        "OPTIGEM CX: Ihr Beleg wurde erstattet",
    ]
    assert {tuple(m.to) for m in mail.outbox} == {(submitter.user.email,)}
    for message in mail.outbox:
        assert "12,50" not in message.body and "12.50" not in message.body
        assert "DE89" not in message.body and "privat" not in message.body
        assert url("receipt", first) in message.body or url("receipt", second) in message.body
    assert first.date.strftime("%d.%m.%Y") in mail.outbox[0].body
    # A task that runs twice (retry, redelivery), and the sweep, mail nothing more.
    send_mails.delay(list(OutgoingMail.objects.values_list("pk", flat=True)))
    send_unsent_mails.delay()
    assert len(mail.outbox) == 3

    from privacy.registry import MailGuard, registry

    guard = MailGuard(key="test-decision-block", blocks=lambda address, kind: True)
    registry.register(guard)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url("receipt_refunded", second))  # rejected: refused, no mail
            third = make_receipt(membership=submitter)
            client.post(url("receipt_review", third), {"decision": "approve"})
    finally:
        del registry.mail_guards["test-decision-block"]
    assert len(mail.outbox) == 3
    blocked = OutgoingMail.objects.get(receipt=third)  # recorded, not mailed
    assert (blocked.state, blocked.blocked_by) == (MailState.BLOCKED, "test-decision-block")


def test_four_eyes_a_reviewer_cannot_approve_or_refund_their_own_receipt(client):
    org = make_organisation()
    reviewer = make_member(organisation=org, role=Role.REVIEWER)
    own = make_receipt(membership=reviewer)
    sign_in(client, reviewer.user)

    def url(name, receipt=own):
        return reverse(f"cloud:{name}", kwargs={"org": org.slug, "pk": receipt.pk})

    page = client.get(url("receipt")).content.decode()
    assert "niemand sonst Prüfrecht" in page
    assert "DE89 **** **** **** **** 00" in page
    assert "DE89370400440532013000" not in page
    assert url("receipt_review") not in page
    response = client.post(url("receipt_review"), {"decision": "approve"}, follow=True)
    assert "Vier-Augen-Prinzip" in response.content.decode()
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED

    admin = make_member(organisation=org, role=Role.ADMIN)
    page = client.get(url("receipt")).content.decode()
    assert "ein anderes Mitglied mit Prüfrecht" in page
    sign_in(client, admin.user)
    client.post(url("receipt_review"), {"decision": "approve", "comment": ""})
    sign_in(client, reviewer.user)
    client.post(url("receipt_refunded"))
    own.refresh_from_db()
    assert own.status == Status.APPROVED
    sign_in(client, admin.user)
    assert "DE89370400440532013000" in client.get(url("receipt")).content.decode()
    client.post(url("receipt_refunded"))
    own.refresh_from_db()
    assert (own.status, own.reviewed_by) == (Status.REFUNDED, admin.user)


def test_a_submitter_cannot_review_or_see_the_dashboard(client, submitter):
    receipt = make_receipt(membership=submitter)
    org = submitter.organisation.slug
    url = reverse("cloud:receipt_review", kwargs={"org": org, "pk": receipt.pk})
    assert client.post(url, {"decision": "approve"}).status_code == 404
    assert client.get(reverse("cloud:dashboard", kwargs={"org": org})).status_code == 404
    receipt.refresh_from_db()
    assert receipt.status == Status.SUBMITTED


def test_the_file_is_served_only_through_the_checked_view(client, submitter):
    receipt = make_receipt(membership=submitter)
    url = reverse(
        "cloud:receipt_file", kwargs={"org": submitter.organisation.slug, "pk": receipt.pk}
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert client.get("/media/" + receipt.file.name).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_huge_request_is_refused_before_it_is_read(client, submitter, settings):
    settings.CLOUD_MAX_UPLOAD_BYTES = 1024 * 1024
    url = reverse("cloud:receipt_new", kwargs={"org": submitter.organisation.slug})
    big = PDF_BYTES[:-6] + b"0" * (3 * 1024 * 1024) + b"\n%%EOF\n"
    response = client.post(url, _form(file=upload(big)))
    assert response.status_code == 413
    assert "zu groß" in response.content.decode()
    assert Receipt.all_tenants.count() == 0
