from http import HTTPStatus

import pytest
from django.contrib.contenttypes.models import ContentType

from contact.models import Inquiry, Status
from contact.tests.factories import contact_data, support_data
from privacy.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(client):
    client.post("/kontakt/", contact_data())
    client.post("/support/", support_data())
    client.logout()
    return {i.kind: i for i in Inquiry.objects.all()}


def test_only_the_support_group_sees_requests(client, staff_user, requests):
    client.force_login(staff_user("Marketing", "mia"))
    assert client.get("/admin/contact/inquiry/").status_code == HTTPStatus.FORBIDDEN
    client.force_login(staff_user("Datenschutz", "dana"))
    assert client.get("/admin/contact/inquiry/").status_code == HTTPStatus.FORBIDDEN
    client.force_login(staff_user("Support"))
    page = client.get("/admin/contact/inquiry/").content.decode()
    assert "Erika Mustermann" in page and "Max Muster" in page


def test_filter_by_status_and_kind_and_search(client, staff_user, requests):
    client.force_login(staff_user("Support"))
    by_kind = client.get("/admin/contact/inquiry/?kind__exact=support").content.decode()
    assert "Max Muster" in by_kind and "Erika Mustermann" not in by_kind
    by_status = client.get("/admin/contact/inquiry/?status__exact=closed").content.decode()
    assert "Max Muster" not in by_status
    found = client.get("/admin/contact/inquiry/?q=Grundlizenz").content.decode()
    assert "Erika Mustermann" in found and "Max Muster" not in found


def test_opening_a_request_writes_the_audit_log(client, staff_user, requests):
    user = staff_user("Support")
    client.force_login(user)
    inquiry = requests["contact"]
    assert client.get(f"/admin/contact/inquiry/{inquiry.pk}/change/").status_code == 200
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Inquiry), object_id=str(inquiry.pk)
    )
    assert (entry.actor, entry.action) == (user, AuditAction.VIEW)


def test_closing_sets_closed_at_and_reopening_clears_it(client, staff_user, requests):
    client.force_login(staff_user("Support"))
    inquiry = requests["support"]
    url = f"/admin/contact/inquiry/{inquiry.pk}/change/"
    assert client.post(url, {"status": Status.CLOSED}).status_code == HTTPStatus.FOUND
    inquiry.refresh_from_db()
    assert inquiry.status == Status.CLOSED and inquiry.closed_at is not None
    client.post(url, {"status": Status.IN_PROGRESS})
    inquiry.refresh_from_db()
    assert inquiry.closed_at is None


def test_staff_cannot_change_what_the_visitor_wrote(client, staff_user, requests):
    client.force_login(staff_user("Support"))
    inquiry = requests["contact"]
    client.post(
        f"/admin/contact/inquiry/{inquiry.pk}/change/",
        {"status": Status.ANSWERED, "message": "geändert"},
    )
    inquiry.refresh_from_db()
    assert inquiry.status == Status.ANSWERED
    assert inquiry.message.startswith("Wie viele")


def test_the_close_action_closes_the_selected_requests(client, staff_user, requests):
    client.force_login(staff_user("Support"))
    ids = [str(i.pk) for i in requests.values()]
    page = client.post(
        "/admin/contact/inquiry/",
        {"action": "close_selected", "_selected_action": ids},
        follow=True,
    )
    assert f"{len(ids)} Anfragen abgeschlossen." in page.content.decode()
    assert set(Inquiry.objects.values_list("status", flat=True)) == {Status.CLOSED}
    assert not Inquiry.objects.filter(closed_at__isnull=True).exists()
    entries = AuditEntry.objects.filter(action=AuditAction.CHANGE, note__contains="Sammelaktion")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(ids)
    again = client.post(
        "/admin/contact/inquiry/",
        {"action": "close_selected", "_selected_action": ids},
        follow=True,
    )
    assert "schon abgeschlossen" in again.content.decode()


def test_support_manages_training_events(client, staff_user):
    client.force_login(staff_user("Support"))
    assert client.get("/admin/contact/trainingevent/add/").status_code == 200


def test_a_request_offers_a_reply_link_for_the_mail_program(client, staff_user, requests):
    client.force_login(staff_user("Support"))
    inquiry = requests["contact"]
    page = client.get(f"/admin/contact/inquiry/{inquiry.pk}/change/").content.decode()
    assert f'href="mailto:{inquiry.email}?subject=Ihre%20Anfrage%20bei%20OPTIGEM' in page
    assert "Antwort im Mailprogramm schreiben" in page
