"""The Datenschutz group reads the run records and sets legal holds in the admin."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from privacy.deletion import deletion_run
from privacy.models import AuditAction, AuditEntry, LegalHold
from tests.retention_app.models import Inquiry

from .factories import NOW, berlin, inquiry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_lock(settings):
    settings.REDIS_URL = ""


def staff(client, group: str) -> User:
    user = User.objects.create_user(f"{group.lower()}-user", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def test_the_datenschutz_group_sees_the_runs_read_only(client):
    inquiry(created_at=berlin(2024, 1, 1, 12, 0))
    run = deletion_run(now=NOW).run
    staff(client, "Datenschutz")

    listing = client.get("/admin/privacy/deletionrun/")
    detail = client.get(f"/admin/privacy/deletionrun/{run.pk}/change/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "„Anfragen sechs Monate nach Eingang“ (inquirys): gelöscht: 1, zurückgehalten: 0" in (
        detail.content.decode()
    )
    assert client.get("/admin/privacy/deletionrun/add/").status_code == 403
    assert client.post(f"/admin/privacy/deletionrun/{run.pk}/delete/").status_code == 403
    assert (
        client.post(
            f"/admin/privacy/deletionrun/{run.pk}/change/", {"status": "aborted"}
        ).status_code
        == 403
    )
    run.refresh_from_db()
    assert run.status == "finished"


def test_other_staff_do_not_see_the_runs(client):
    staff(client, "Support")

    assert client.get("/admin/privacy/deletionrun/").status_code == 403


def hold_form(**values) -> dict:
    until = timezone.localdate() + timedelta(days=365)
    return {
        "content_type": "",
        "object_id": "",
        "email": "",
        "reason": "Az. 1 O 23/26",
        "until": until.isoformat(),
        **values,
    }


def test_a_legal_hold_on_an_address_is_set_normalised_and_audited(client):
    user = staff(client, "Datenschutz")

    response = client.post("/admin/privacy/legalhold/add/", hold_form(email=" Frank@Example.com "))

    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.email, hold.created_by) == ("frank@example.com", user)
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(hold.pk)).exists()


def test_a_legal_hold_on_a_row_needs_an_existing_row(client):
    from django.contrib.contenttypes.models import ContentType

    row = inquiry(created_at=berlin(2024, 1, 1, 12, 0))
    content_type = ContentType.objects.get_for_model(Inquiry).pk
    staff(client, "Datenschutz")

    missing = client.post(
        "/admin/privacy/legalhold/add/",
        hold_form(content_type=content_type, object_id=str(row.pk + 100)),
    )
    made = client.post(
        "/admin/privacy/legalhold/add/",
        hold_form(content_type=content_type, object_id=str(row.pk)),
    )

    assert "Einen Datensatz mit dieser Nummer gibt es nicht." in missing.content.decode()
    assert made.status_code == 302
    assert LegalHold.objects.get().object_id == str(row.pk)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "entweder einen Datensatz (Art und Nummer) oder eine E-Mail-Adresse"),
        ({"email": "a@example.com", "object_id": "1"}, "nicht beides"),
        ({"object_id": "1"}, "Für einen Datensatz bitte Art und Nummer angeben."),
        (
            {"email": "a@example.com", "until": date(2020, 1, 1).isoformat()},
            "Das Enddatum einer neuen Sperre darf nicht vergangen sein.",
        ),
    ],
)
def test_a_wrong_legal_hold_gets_a_german_message_and_keeps_the_input(client, values, message):
    staff(client, "Datenschutz")

    response = client.post("/admin/privacy/legalhold/add/", hold_form(**values))

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "Az. 1 O 23/26" in page
    assert not LegalHold.objects.exists()


def test_the_datenschutz_group_starts_a_dry_run_then_the_real_run_in_the_admin(
    client, django_capture_on_commit_callbacks
):
    old = inquiry(created_at=berlin(2024, 1, 1, 12, 0))
    staff(client, "Datenschutz")
    assert "Löschlauf starten …" in client.get("/admin/privacy/deletionrun/").content.decode()
    assert "Probelauf starten" in client.get("/admin/privacy/deletionrun/start/").content.decode()

    dry = client.post("/admin/privacy/deletionrun/start/", {"step": "dry"}).content.decode()
    assert "es wurde nichts geändert" in dry
    assert "„Anfragen sechs Monate nach Eingang“ (inquirys): würden gelöscht: 1" in dry
    assert Inquiry.objects.filter(pk=old.pk).exists()

    # Without the confirmation nothing starts, and the page says why.
    refused = client.post("/admin/privacy/deletionrun/start/", {"step": "real"})
    assert "Bitte bestätigen Sie" in refused.content.decode()
    assert Inquiry.objects.filter(pk=old.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/admin/privacy/deletionrun/start/", {"step": "real", "confirm": "yes"}, follow=True
        )
    assert "Der Löschlauf wurde gestartet" in started.content.decode()
    assert not Inquiry.objects.filter(pk=old.pk).exists()
    listing = client.get("/admin/privacy/deletionrun/").content.decode()
    assert "Verwaltung (datenschutz-user)" in listing


def test_other_staff_cannot_start_the_deletion_run(client):
    staff(client, "Support")
    assert client.post("/admin/privacy/deletionrun/start/", {"step": "dry"}).status_code == 403
