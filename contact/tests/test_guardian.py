import re
from datetime import timedelta
from html import unescape
from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from contact import pending, services
from contact.models import Inquiry, MailState, TrainingEvent, pupil_promise
from contact.tests.factories import contact_data, make_event, minor, training_data
from privacy.registry import registry

pytestmark = pytest.mark.django_db


def _submit_as_minor(client, capture, url="/kontakt/", data=None):
    with capture(execute=True):
        response = client.post(url, minor(data or contact_data()))
    assert response.status_code == HTTPStatus.FOUND
    return response


def _link(message) -> str:
    match = re.search(r"http://\S+/anfrage/zustimmung/\S+/", message.body)
    assert match, "no link in the mail"
    return match.group(0)


def _path(link: str) -> str:
    return link.removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def support_user(staff_user):
    return staff_user("Support")


def test_ticking_the_pupil_box_requires_a_guardian_address(client):
    response = client.post("/kontakt/", {**contact_data(), "is_minor": "on"})
    assert "Bitte geben Sie die E-Mail-Adresse einer/eines Erziehungsberechtigten an" in (
        response.content.decode()
    )
    assert not Inquiry.objects.exists()


def test_the_guardian_address_must_not_be_the_senders_own(client):
    response = client.post("/kontakt/", minor(contact_data(), guardian="ERIKA@example.org"))
    assert "nicht Ihre eigene" in response.content.decode()


def test_a_guardian_address_without_the_box_is_not_stored(client):
    client.post("/kontakt/", {**contact_data(), "guardian_email": "x@example.org"})
    assert Inquiry.objects.get().guardian_email == ""


def test_a_pupils_request_waits_for_the_guardian_and_only_the_guardian_is_mailed(
    client, django_capture_on_commit_callbacks, support_user
):
    response = _submit_as_minor(client, django_capture_on_commit_callbacks)
    assert "72 Stunden" in client.get(response["Location"]).content.decode()
    (message,) = mail.outbox
    assert message.to == ["mutter@example.org"]
    assert "erika@example.org" not in _link(message)
    inquiry = Inquiry.objects.get()
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.WAITING, MailState.WAITING)

    client.force_login(support_user)
    changelist = client.get("/admin/contact/inquiry/")
    assert "Erika Mustermann" not in changelist.content.decode()
    assert client.get(f"/admin/contact/inquiry/{inquiry.pk}/change/").status_code == 302


def test_the_guardian_confirms_once_and_then_staff_see_and_hear_of_it(
    client, django_capture_on_commit_callbacks, support_user
):
    _submit_as_minor(client, django_capture_on_commit_callbacks)
    path = _path(_link(mail.outbox[0]))

    page = client.get(path).content.decode()
    assert "Erika Mustermann" in page
    assert Inquiry.objects.get().guardian_confirmed_at is None  # looking does not consent

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"decision": "confirm"})
    assert "Vielen Dank für Ihre Zustimmung" in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["erika@example.org", "support@optigem.com"]

    again = client.post(path, {"decision": "confirm"})
    assert again.status_code == HTTPStatus.GONE
    assert "bereits verwendet" in again.content.decode()
    assert len(mail.outbox) == 3

    client.force_login(support_user)
    assert "Erika Mustermann" in client.get("/admin/contact/inquiry/").content.decode()


def test_the_guardian_can_refuse_and_the_request_is_deleted(
    client, django_capture_on_commit_callbacks
):
    _submit_as_minor(client, django_capture_on_commit_callbacks)
    response = client.post(_path(_link(mail.outbox[0])), {"decision": "decline"})
    assert "gelöscht" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_the_link_expires_after_72_hours(client, django_capture_on_commit_callbacks):
    _submit_as_minor(client, django_capture_on_commit_callbacks)
    token = _path(_link(mail.outbox[0])).rstrip("/").rsplit("/", 1)[1]
    later = timezone.now() + timedelta(hours=72, minutes=1)
    with pytest.raises(services.GuardianLinkError, match="abgelaufen"):
        services.inquiry_guardian_confirm(token=token, now=later)
    Inquiry.objects.update(created_at=timezone.now() - timedelta(hours=73))
    response = client.post(_path(_link(mail.outbox[0])), {"decision": "confirm"})
    assert response.status_code == HTTPStatus.GONE
    assert "abgelaufen" in response.content.decode()
    assert Inquiry.objects.get().guardian_confirmed_at is None


def test_a_forged_or_altered_link_is_refused(client, django_capture_on_commit_callbacks):
    _submit_as_minor(client, django_capture_on_commit_callbacks)
    path = _path(_link(mail.outbox[0]))
    response = client.post(path[:-3] + "xx/", {"decision": "confirm"})
    assert response.status_code == HTTPStatus.GONE
    assert "ungültig" in response.content.decode()
    assert Inquiry.objects.get().guardian_confirmed_at is None


def test_unconfirmed_requests_expire_after_72_hours_by_the_registry_rule(
    client, django_capture_on_commit_callbacks
):
    _submit_as_minor(client, django_capture_on_commit_callbacks)
    client.post("/kontakt/", contact_data())
    rule = next(r for r in registry.retention_rules if r.key == "contact-unconfirmed-minor")
    now = timezone.now()
    assert not rule.expired(now=now + timedelta(hours=71)).exists()
    expired = rule.expired(now=now + timedelta(hours=72, seconds=1))
    assert [i.is_minor for i in expired] == [True]


def test_a_pending_registration_holds_its_seat_until_it_expires(
    client, django_capture_on_commit_callbacks
):
    event = make_event(seats=1)
    url = f"/schulungen/{event.slug}/anmeldung/"
    _submit_as_minor(client, django_capture_on_commit_callbacks, url=url, data=training_data())
    later = timezone.now() + timedelta(hours=73)
    assert event.seats_left() == 0
    assert event.seats_left(now=later) == 1
    events = TrainingEvent.objects.filter(pk=event.pk)
    assert events.with_seats_taken().get().seats_taken == 1
    assert events.with_seats_taken(now=later).get().seats_taken == 0


def _every_row_as_text() -> str:
    """Every row of every table of the database, each rendered by PostgreSQL as one text."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        rows: list[str] = []
        for table in tables:
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")
            rows.extend(value for (value,) in cursor.fetchall())
    return "\n".join(rows).lower()


PUPIL = {
    "name": "Paula Schülerin",
    "email": "paula.schuelerin@example.org",
    "phone": "0171 5550123",
    "subject": "Referat über Spendenbuchhaltung",
    "message": "Ich schreibe ein Referat und habe eine Frage zur Spendenquittung.",
}


def test_a_pupils_request_is_stored_only_as_ciphertext_until_the_guardian_consents(
    client, django_capture_on_commit_callbacks
):
    _submit_as_minor(client, django_capture_on_commit_callbacks, data=contact_data(**PUPIL))
    stored = _every_row_as_text()
    for value in PUPIL.values():
        assert value.lower() not in stored
    inquiry = Inquiry.objects.get()
    assert inquiry.sealed_data and inquiry.guardian_key_hash
    assert inquiry.guardian_key_wrapped == ""  # the mail went out: only the link holds the key

    path = _path(_link(mail.outbox[0]))
    page = client.get(path).content.decode()
    assert "Paula Schülerin" in page and "Frage zur Spendenquittung" in page
    assert PUPIL["message"].lower() not in _every_row_as_text()  # looking decrypts, stores nothing

    client.post(path, {"decision": "confirm"})
    inquiry = Inquiry.objects.get()
    assert (inquiry.name, inquiry.email, inquiry.message) == (
        PUPIL["name"],
        PUPIL["email"],
        PUPIL["message"],
    )
    assert (inquiry.sealed_data, inquiry.guardian_key_hash) == ("", "")


def test_a_refusal_deletes_the_ciphertext(client, django_capture_on_commit_callbacks):
    _submit_as_minor(client, django_capture_on_commit_callbacks)
    ciphertext = Inquiry.objects.get().sealed_data
    client.post(_path(_link(mail.outbox[0])), {"decision": "decline"})
    assert ciphertext[:40] not in _every_row_as_text()


def test_without_the_links_key_the_stored_request_cannot_be_opened(
    client, django_capture_on_commit_callbacks
):
    _submit_as_minor(client, django_capture_on_commit_callbacks)
    inquiry = Inquiry.objects.get()
    other_key, _ = pending.seal({})
    with pytest.raises(pending.SealBroken):
        pending.unseal(key=other_key, ciphertext=inquiry.sealed_data)
    forged = services.guardian_token(inquiry, key=other_key)
    response = client.get(f"/anfrage/zustimmung/{forged}/")
    assert response.status_code == HTTPStatus.GONE
    assert "Erika" not in response.content.decode()


@pytest.mark.parametrize("language", ["de", "en"])
def test_form_guardian_mail_guardian_page_and_policy_say_the_same_words(
    client, django_capture_on_commit_callbacks, language
):
    with translation.override(language):
        promise = pupil_promise()
        policy = reverse("privacy:policy")
        form_url = reverse("contact:contact")

    def words(html: str) -> str:
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())

    form = client.get(form_url)
    assert promise in words(form.content.decode())
    assert promise in words(client.get(policy).content.decode())
    _submit_as_minor(client, django_capture_on_commit_callbacks, url=form_url)
    assert promise in " ".join(mail.outbox[0].body.split())
    assert promise in words(client.get(_path(_link(mail.outbox[0]))).content.decode())
