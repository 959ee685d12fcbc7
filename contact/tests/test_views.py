from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from contact.models import Inquiry, Kind, MailState, Status
from contact.tests.factories import contact_data, make_event, support_data, training_data
from optigem_site.celery import app
from privacy.registry import LegalBasis, registry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/kontakt/", "/support/", "/en/kontakt/", "/en/support/"])
def test_form_pages_show_the_notice_from_the_registry(client, url):
    """Above the button: purpose, data and why, legal basis, recipients, retention, policy link."""
    page = client.get(url).content.decode()
    start = page.index('class="notice')
    notice = page[start : page.index('type="submit"', start)]  # the banner has buttons too
    key = "contact-request" if "kontakt" in url else "support-request"
    activity = registry.activities[key]
    with translation.override("en" if url.startswith("/en/") else "de"):
        for text in (activity.purpose, activity.retention, activity.recipients[0]):
            assert escape(str(text)) in notice
        assert escape(str(LegalBasis.CONTRACT.label)) in notice
    assert "datenschutz/" in notice
    assert "72" in notice


def test_optional_fields_say_so_and_required_fields_do_not(client):
    page = client.get("/kontakt/").content.decode()
    assert "Organisation (freiwillig)" in page
    assert "Telefon (freiwillig)" in page
    assert "Name (freiwillig)" not in page


def test_contact_submission_is_stored_and_shows_the_confirmation_page(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/kontakt/", contact_data())
    assert response.status_code == HTTPStatus.FOUND
    inquiry = Inquiry.objects.get()
    assert (inquiry.kind, inquiry.status) == (Kind.CONTACT, Status.NEW)
    page = client.get(response["Location"]).content.decode()
    assert f"Nummer {inquiry.pk}" in page
    receipt, staff = sorted(mail.outbox, key=lambda m: m.to[0] != inquiry.email)
    assert receipt.to == ["erika@example.org"]
    assert staff.to == ["support@optigem.com"]
    inquiry.refresh_from_db()
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.SENT, MailState.SENT)


def test_mails_carry_no_text_the_visitor_typed(client, django_capture_on_commit_callbacks):
    """The form cannot be used to send a stranger a message of the sender's choosing."""
    data = contact_data(name="Kaufen Sie jetzt", subject="Gewinnspiel", message="Klicken Sie hier")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/kontakt/", data)
    for message in mail.outbox:
        for text in ("Kaufen Sie jetzt", "Gewinnspiel", "Klicken Sie hier", "erika@example.org"):
            assert text not in message.subject + message.body


def test_staff_notification_holds_no_personal_data_but_the_admin_link(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/support/", support_data())
    inquiry = Inquiry.objects.get()
    (staff,) = [m for m in mail.outbox if m.to == ["support@optigem.com"]]
    assert f"/admin/contact/inquiry/{inquiry.pk}/change/" in staff.body
    assert "Max Muster" not in staff.body
    assert "max@example.org" not in staff.body


def test_english_page_sends_an_english_receipt(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/kontakt/", contact_data())
    (receipt,) = [m for m in mail.outbox if m.to == ["erika@example.org"]]
    assert "received" in receipt.subject


def test_support_form_requires_subject_and_description(client):
    response = client.post("/support/", support_data(subject="", message=""))
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().count("Dieses Feld ist zwingend erforderlich.") == 2
    assert not Inquiry.objects.exists()


def test_support_product_must_be_one_of_the_choices(client):
    response = client.post("/support/", support_data(product="<script>"))
    assert "Bitte eine gültige Auswahl treffen" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_training_list_shows_upcoming_events_and_their_state(client, django_assert_num_queries):
    open_event = make_event(title="Jahresabschluss")
    full = make_event(title="Spendenverwaltung", seats=1)
    Inquiry.objects.create(
        kind=Kind.TRAINING,
        event=full,
        name="A",
        email="a@example.org",
        submission_key="00000000-0000-0000-0000-000000000001",
        receipt_mail=MailState.SENT,
        staff_mail=MailState.SENT,
        guardian_mail=MailState.NOT_NEEDED,
    )
    with django_assert_num_queries(1):
        page = client.get("/schulungen/").content.decode()
    assert f"/schulungen/{open_event.slug}/anmeldung/" in page
    assert f"/schulungen/{full.slug}/anmeldung/" not in page
    assert "<strong>ausgebucht</strong>" in page


def test_training_registration_is_stored_for_its_event(client):
    event = make_event()
    page = client.get(f"/schulungen/{event.slug}/anmeldung/").content.decode()
    assert "Teilnahmebescheinigung" in page  # the notice of the training activity
    response = client.post(f"/schulungen/{event.slug}/anmeldung/", training_data())
    assert response.status_code == HTTPStatus.FOUND
    assert Inquiry.objects.get().event == event


def test_unknown_event_is_404(client):
    assert client.get("/schulungen/gibt-es-nicht/anmeldung/").status_code == HTTPStatus.NOT_FOUND


def test_thanks_page_with_a_forged_token_is_404(client):
    assert client.get("/anfrage/danke/1:abc:def/").status_code == HTTPStatus.NOT_FOUND


def test_nav_and_home_link_to_the_forms(client):
    page = client.get("/").content.decode()
    assert 'href="/kontakt/"' in page
    assert 'href="/schulungen/"' in page


def test_captcha_script_is_not_loaded_outside_the_form_pages(client, settings):
    settings.HCAPTCHA_SITEKEY, settings.HCAPTCHA_SECRET = "site", "secret"
    assert "hcaptcha" not in client.get("/").content.decode()
    assert "hcaptcha" not in client.get("/").headers["Content-Security-Policy"]
    form = client.get("/kontakt/")
    assert "js.hcaptcha.com/1/api.js?hl=de" in form.content.decode()
    assert "https://hcaptcha.com" in form.headers["Content-Security-Policy"]


@pytest.fixture
def queued_mail():
    """Mails are published to the (in-memory) broker instead of being sent inline."""
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = saved


def _statements(client, url: str, data: dict) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.post(url, data).status_code == HTTPStatus.FOUND
    return [query["sql"].split()[0] for query in captured.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_submission_costs_at_most_four_queries(client, queued_mail):
    """As in production: no outer transaction, mails handed to the broker after commit."""
    assert _statements(client, "/kontakt/", contact_data()) == ["BEGIN", "INSERT", "COMMIT"]
    event = make_event()
    training = _statements(client, f"/schulungen/{event.slug}/anmeldung/", training_data())
    assert [s for s in training if s not in {"BEGIN", "COMMIT"}] == [
        "SELECT",  # the event, by its slug
        "SELECT",  # the event again, locked FOR UPDATE
        "SELECT",  # the seats taken
        "INSERT",
    ]
