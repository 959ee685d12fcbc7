"""Cancellation: read-only at once, a reminder a week before, complete erasure a month after."""

import datetime
from collections import Counter
from email.header import decode_header, make_header

import pytest
from django.core.files.storage import default_storage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import TOTPDevice
from accounts.services import totp_device_confirm, totp_device_pending
from cloud.models import (
    ERASURE_DELAY,
    Account,
    ApiToken,
    Invitation,
    MailKind,
    MailState,
    Membership,
    Organisation,
    OutgoingMail,
    Project,
    Receipt,
    Role,
    Status,
)
from cloud.services.api_tokens import api_token_create
from cloud.services.invitations import invitation_create
from cloud.services.organisations import (
    erasure_reminders_send,
    organisation_cancel,
    organisation_withdraw_cancellation,
)
from cloud.tasks import send_erasure_reminders, send_unsent_mails
from privacy.registry import registry

from .factories import (
    PASSWORD,
    make_member,
    make_organisation,
    make_project,
    make_receipt,
    make_user,
    sign_in,
    upload,
)

pytestmark = pytest.mark.django_db


def _files(organisation) -> list[str | None]:
    return [r.file.name for r in Receipt.all_tenants.filter(organisation=organisation)]


def _rule():
    return next(r for r in registry.retention_rules if r.key == "cloud-cancelled-organisations")


def test_a_cancelled_organisation_is_read_only_until_the_cancellation_is_withdrawn(client):
    org = make_organisation()
    admin = make_member(organisation=org, role=Role.MAIN_ADMIN)
    receipt = make_receipt(membership=admin, status=Status.APPROVED, reviewed_at=timezone.now())
    sign_in(client, admin.user)
    cancel_url = reverse("cloud:cancellation", kwargs={"org": org.slug})
    assert client.post(cancel_url, {}).status_code == 200  # the confirmation box is required
    client.post(cancel_url, {"confirm": "on"})
    org.refresh_from_db()
    assert org.cancelled_at is not None

    new = reverse("cloud:receipt_new", kwargs={"org": org.slug})
    response = client.post(new, {"purpose": "x", "file": upload()})
    assert response.status_code == 403
    assert "gekündigt" in response.content.decode()
    assert (
        client.get(reverse("cloud:receipt", kwargs={"org": org.slug, "pk": receipt.pk})).status_code
        == 200
    )
    _token, key = api_token_create(organisation=org, name="PC")
    booked = reverse("cloud:api_receipt_booked", kwargs={"pk": receipt.pk})
    assert client.post(booked, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 409
    assert Receipt.all_tenants.count() == 1

    client.post(cancel_url, {"confirm": "on"})
    org.refresh_from_db()
    assert org.cancelled_at is None
    assert client.post(booked, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_cancellation_and_withdrawal_are_confirmed_to_the_administrators(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    org = make_organisation()
    main, admin = (make_member(organisation=org, role=r) for r in (Role.MAIN_ADMIN, Role.ADMIN))
    make_member(organisation=org, role=Role.REVIEWER)
    sign_in(client, main.user)
    cancel_url = reverse("cloud:cancellation", kwargs={"org": org.slug})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel_url, {"confirm": "on"})
    org.refresh_from_db()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([main.user.email, admin.user.email])
    assert mail.outbox[0].subject == f"OPTIGEM CX: Kündigung von {org.name} bestätigt"
    due = org.erasure_due_at.astimezone(timezone.get_current_timezone()).strftime("%d.%m.%Y")
    assert due in mail.outbox[0].body and cancel_url in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel_url, {"confirm": "on"})
    assert len(mail.outbox) == 4
    assert mail.outbox[3].subject == f"OPTIGEM CX: Kündigung von {org.name} zurückgenommen"
    assert "nichts gelöscht" in mail.outbox[3].body

    # A confirmation still waiting (its task lost) when the cancellation is withdrawn again
    # is never sent: the sweep finds the organisation no longer cancelled.
    with django_capture_on_commit_callbacks(execute=False):
        client.post(cancel_url, {"confirm": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel_url, {"confirm": "on"})
    send_unsent_mails.delay()
    assert len(mail.outbox) == 6
    assert all("zurückgenommen" in m.subject for m in mail.outbox[4:])
    stale = OutgoingMail.objects.filter(kind=MailKind.CANCELLATION_CONFIRMED)
    assert sorted(stale.values_list("state", flat=True)) == sorted(
        [MailState.SENT, MailState.SENT, MailState.OBSOLETE, MailState.OBSOLETE]
    )


def _reminders_per_address(smtp_sink) -> dict[str, int]:
    """How many erasure reminders each address got (cancellation notices left out)."""
    reminders = [
        message["To"]
        for message in smtp_sink.messages
        if "gelöscht" in str(make_header(decode_header(message["Subject"])))
    ]
    return dict(Counter(reminders))


def test_administrators_are_reminded_a_week_before_the_erasure(
    smtp_sink, django_capture_on_commit_callbacks
):
    org = make_organisation()
    main, admin = (make_member(organisation=org, role=r) for r in (Role.MAIN_ADMIN, Role.ADMIN))
    make_member(organisation=org, role=Role.SUBMITTER)
    cancelled = timezone.now() - datetime.timedelta(days=40)
    organisation_cancel(organisation=org, now=cancelled)
    erasure = org.erasure_due_at
    with django_capture_on_commit_callbacks(execute=True):
        assert erasure_reminders_send(now=erasure - datetime.timedelta(days=8)) == 0
        assert erasure_reminders_send(now=erasure - datetime.timedelta(days=7)) == 1
    messages = smtp_sink.wait_for(2)
    assert sorted(m["To"] for m in messages) == sorted([main.user.email, admin.user.email])
    body = messages[0].get_payload(decode=True).decode()
    assert erasure.astimezone(timezone.get_current_timezone()).strftime("%d.%m.%Y") in body
    assert f"/cx/{org.slug}/kuendigung/" in body
    with django_capture_on_commit_callbacks(execute=True):
        assert erasure_reminders_send(now=erasure) == 0
    assert len(smtp_sink.received) == 2


def _due_for_reminder():
    """An organisation with two administrators whose erasure is six days away."""
    org = make_organisation()
    admins = [
        make_member(organisation=org, role=r).user.email for r in (Role.MAIN_ADMIN, Role.ADMIN)
    ]
    organisation_cancel(
        organisation=org, now=timezone.now() - ERASURE_DELAY.delta + datetime.timedelta(days=6)
    )
    return org, admins


def test_a_refused_erasure_reminder_is_sent_by_the_sweep_and_each_administrator_mailed_once(
    smtp_sink, django_capture_on_commit_callbacks
):
    _org, admins = _due_for_reminder()
    smtp_sink.refusals.append("451 4.3.0 Bitte später erneut versuchen")  # a busy server
    with django_capture_on_commit_callbacks(execute=True):
        send_erasure_reminders.delay()
        send_erasure_reminders.delay()  # beat's next run, or the task delivered twice
    assert _reminders_per_address(smtp_sink) == {}
    reminders = OutgoingMail.objects.filter(kind=MailKind.ERASURE_REMINDER)
    assert reminders.count() == 2 and not reminders.exclude(state=MailState.UNSENT).exists()
    send_unsent_mails.delay()
    send_unsent_mails.delay()
    assert _reminders_per_address(smtp_sink) == dict.fromkeys(admins, 1)


def test_a_reminder_that_reached_one_administrator_is_not_repeated_for_the_other(
    smtp_sink, django_capture_on_commit_callbacks
):
    _org, admins = _due_for_reminder()
    # After the first administrator's mail, the server is busy for the second one.
    smtp_sink.on_message = lambda envelope: smtp_sink.refusals.append("451 4.3.0 Später")
    with django_capture_on_commit_callbacks(execute=True):
        send_erasure_reminders.delay()
    smtp_sink.on_message = None
    assert list(_reminders_per_address(smtp_sink).values()) == [1]
    send_unsent_mails.delay()  # the sweep sends the other one, and nothing twice
    send_unsent_mails.delay()
    assert _reminders_per_address(smtp_sink) == dict.fromkeys(admins, 1)


def test_the_deletion_rule_erases_everything_of_the_organisation_a_month_after(
    settings, django_capture_on_commit_callbacks
):
    doomed, other, withdrawn = make_organisation(), make_organisation(), make_organisation()
    for org in (doomed, other, withdrawn):
        member = make_member(organisation=org, role=Role.MAIN_ADMIN)
        make_receipt(membership=member, project=make_project(organisation=org))
        api_token_create(organisation=org, name="PC")
        invitation_create(organisation=org, email="x@example.org", role=Role.SUBMITTER)
    cancelled = timezone.now() - datetime.timedelta(days=60)
    organisation_cancel(organisation=doomed, now=cancelled)
    organisation_cancel(organisation=withdrawn, now=cancelled)
    organisation_withdraw_cancellation(organisation=withdrawn)
    doomed_files = _files(doomed)
    assert doomed_files and all(default_storage.exists(name) for name in doomed_files)
    doomed_mails = list(
        OutgoingMail.objects.filter(
            Q(organisation=doomed) | Q(invitation__organisation=doomed)
        ).values_list("pk", flat=True)
    )

    rule = _rule()
    assert list(rule.expired(now=cancelled + datetime.timedelta(days=27))) == []
    expired = rule.expired(now=timezone.now())
    assert list(expired) == [doomed]
    with django_capture_on_commit_callbacks(execute=True):
        expired.delete()

    assert not Organisation.objects.filter(pk=doomed.pk).exists()
    for model in (Membership, Receipt, Project, ApiToken, Invitation):
        assert not model.all_tenants.filter(organisation_id=doomed.pk).exists(), model
        assert model.all_tenants.filter(organisation_id=other.pk).exists(), model
    # The mails about it go with it: its invitation's and its notices.
    assert doomed_mails and not OutgoingMail.objects.filter(pk__in=doomed_mails).exists()
    assert OutgoingMail.objects.filter(invitation__organisation=other).exists()
    assert not any(default_storage.exists(name) for name in doomed_files)
    assert all(default_storage.exists(name) for name in _files(other))


@pytest.mark.django_db(transaction=True)
def test_the_deletion_run_erases_a_cancelled_organisation_with_its_files(settings):
    """The real deletion run (privacy.deletion), not the rule alone: rows and uploads go."""
    from privacy.deletion import deletion_run

    doomed, kept = make_organisation(), make_organisation()
    for org in (doomed, kept):
        make_receipt(membership=make_member(organisation=org, role=Role.MAIN_ADMIN))
    organisation_cancel(organisation=doomed, now=timezone.now() - datetime.timedelta(days=40))
    doomed_files = _files(doomed)
    assert doomed_files and all(default_storage.exists(name) for name in doomed_files)

    result = deletion_run(rules=[_rule()])

    assert not Organisation.objects.filter(pk=doomed.pk).exists()
    assert not Receipt.all_tenants.filter(organisation_id=doomed.pk).exists()
    assert not any(default_storage.exists(name) for name in doomed_files)
    assert Receipt.all_tenants.filter(organisation_id=kept.pk).exists()
    assert result.errors == []


@pytest.mark.django_db(transaction=True)
def test_the_erasure_takes_the_accounts_that_belong_to_no_other_organisation(client):
    """Only-here users lose their account (and cannot sign in); others keep it; staff keep it."""
    from django.contrib.auth import get_user_model

    from privacy.deletion import deletion_run

    doomed, other = make_organisation(), make_organisation()
    only_here = make_member(organisation=doomed, role=Role.MAIN_ADMIN).user
    totp_device_confirm(device=totp_device_pending(user=only_here))
    both = make_member(organisation=doomed, role=Role.REVIEWER).user
    make_member(organisation=other, role=Role.SUBMITTER, user=both)
    staff = make_member(organisation=doomed, role=Role.ADMIN).user
    get_user_model().objects.filter(pk=staff.pk).update(is_staff=True)
    organisation_cancel(organisation=doomed, now=timezone.now() - datetime.timedelta(days=40))

    deletion_run(rules=[_rule()])

    users = get_user_model().objects
    assert not users.filter(pk=only_here.pk).exists()
    assert not Account.objects.filter(user_id=only_here.pk).exists()
    assert not TOTPDevice.objects.filter(user_id=only_here.pk).exists()
    assert users.filter(pk=both.pk).exists()
    assert list(
        Membership.all_tenants.filter(user=both).values_list("organisation", flat=True)
    ) == [other.pk]
    assert users.filter(pk=staff.pk).exists()
    assert not Membership.all_tenants.filter(user=staff).exists()
    assert not client.login(username=only_here.username, password=PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_a_legal_hold_on_one_receipt_keeps_the_whole_organisation():
    """A hold on a row the cascade reaches (a receipt, or an address in the receipts) holds
    the organisation back until the hold ends; then the next run erases it."""
    from django.contrib.contenttypes.models import ContentType

    from privacy.deletion import deletion_run
    from privacy.models import LegalHold

    by_row, by_address = make_organisation(), make_organisation()
    receipt = make_receipt(membership=make_member(organisation=by_row))
    make_receipt(
        membership=make_member(organisation=by_address, user=make_user(email="h@example.org"))
    )
    for org in (by_row, by_address):
        organisation_cancel(organisation=org, now=timezone.now() - datetime.timedelta(days=40))
    today = timezone.localdate()
    LegalHold.objects.create(
        content_type=ContentType.objects.get_for_model(Receipt),
        object_id=str(receipt.pk),
        reason="Prüfung",
        until=today + datetime.timedelta(days=30),
    )
    LegalHold.objects.create(
        email="H@example.org", reason="Rechtsstreit", until=today + datetime.timedelta(days=30)
    )

    result = deletion_run(rules=[_rule()])

    assert set(Organisation.objects.values_list("pk", flat=True)) >= {by_row.pk, by_address.pk}
    assert Receipt.all_tenants.filter(pk=receipt.pk).exists()
    assert result.rules[0].held_total == 2

    LegalHold.objects.all().update(until=today - datetime.timedelta(days=1))
    deletion_run(rules=[_rule()])
    assert not Organisation.objects.filter(pk__in=[by_row.pk, by_address.pk]).exists()


def test_administrators_export_every_receipt_as_csv_and_files_even_when_cancelled(client, tmp_path):
    import csv
    import io
    import subprocess
    import zipfile

    from .factories import PDF_BYTES

    org, other = make_organisation(), make_organisation()
    admin = make_member(organisation=org, role=Role.ADMIN)
    submitter = make_member(organisation=org)
    first = make_receipt(membership=submitter, amount="1234.50", purpose="=HYPERLINK(1)")
    second = make_receipt(membership=submitter, project=make_project(organisation=org))
    make_receipt(membership=make_member(organisation=other), purpose="fremd")
    organisation_cancel(organisation=org)
    url = reverse("cloud:export", kwargs={"org": org.slug})

    sign_in(client, submitter.user)
    assert client.get(url).status_code == 404
    sign_in(client, admin.user)
    response = client.get(url)
    assert response.status_code == 200, response
    assert response.streaming
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/zip"
    assert f"optigem-cx-{org.slug}-" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None  # every member's checksum
    # Info-ZIP's unzip, a reader other than Python's, finds the archive sound too.
    saved = tmp_path / "export.zip"
    saved.write_bytes(data)
    tested = subprocess.run(["unzip", "-t", str(saved)], capture_output=True, text=True)
    assert tested.returncode == 0 and "No errors detected" in tested.stdout, tested.stdout
    rows = list(
        csv.reader(io.StringIO(archive.read("belege.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:3] == ["Nr.", "Belegdatum", "Betrag"]
    assert [row[0] for row in rows[1:]] == [str(first.pk), str(second.pk)]
    assert rows[1][2] == "1234,50" and rows[1][4] == "'=HYPERLINK(1)"
    assert "fremd" not in archive.read("belege.csv").decode("utf-8-sig")
    files = sorted(n for n in archive.namelist() if n.startswith("belege/"))
    assert files == [f"belege/{first.pk}-beleg.pdf", f"belege/{second.pk}-beleg.pdf"]
    assert archive.read(files[0]) == PDF_BYTES
