from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from dsar.models import Restriction, RestrictionGround, SubjectRequest
from privacy.digests import address_digest
from privacy.models import AuditAction, AuditEntry
from privacy.registry import registry

from .factories import ADDRESS, make_request, make_staff

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/dsar/subjectrequest/add/"
LIST_URL = "/admin/dsar/subjectrequest/"


@pytest.fixture
def officer_client(client):
    client.force_login(make_staff("dpo"))
    return client


def _intake(**overrides):
    return {
        "requester_name": "Erika Mustermann",
        "email": ADDRESS,
        "postal_address": "Heidestraße 17\n51147 Köln",
        "channel": "letter",
        "received_on": "31.01.2026",
        "letter_reference": "DS-2026-001",
        "wants_access": "on",
        "identity_check_started_on": "",
        "identity_method": "",
        "identity_verified_on": "",
        **overrides,
    }


def test_only_the_datenschutz_group_sees_the_requests(client):
    client.force_login(make_staff("support", group="Support"))
    assert client.get(LIST_URL).status_code == 403
    client.force_login(make_staff("dpo"))
    assert client.get(LIST_URL).status_code == 200


def test_intake_records_the_letter_and_the_clock_rests_until_identity_is_verified(officer_client):
    response = officer_client.post(ADD_URL, _intake())
    assert response.status_code == 302, response.context["adminform"].form.errors
    request = SubjectRequest.objects.get()
    assert (request.channel, request.letter_reference, request.due_on) == (
        "letter",
        "DS-2026-001",
        None,
    )
    # received 31.01.2026 and no identity check begun: flagged rather than resting unseen
    assert "Tagen nicht begonnen" in officer_client.get(LIST_URL).text
    change = f"/admin/dsar/subjectrequest/{request.pk}/change/"
    verified = _intake(identity_method="code-by-post", identity_verified_on="31.01.2026")
    assert officer_client.post(change, verified).status_code == 302
    request.refresh_from_db()
    assert request.due_on == date(2026, 2, 28)
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(request.pk)).exists()


def test_intake_without_any_right_gets_a_german_message_and_keeps_the_input(officer_client):
    data = _intake()
    del data["wants_access"]
    response = officer_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert "Bitte mindestens ein gewünschtes Recht ankreuzen." in response.text
    assert "DS-2026-001" in response.text
    assert not SubjectRequest.objects.exists()


def test_verification_needs_its_method(officer_client):
    response = officer_client.post(ADD_URL, _intake(identity_verified_on="02.02.2026"))
    assert "Bitte angeben, wie die Identität geprüft wurde." in response.text


def test_list_marks_overdue_requests(officer_client):
    today = timezone.localdate()
    make_request(
        received_on=today - timedelta(days=70), identity_verified_on=today - timedelta(days=70)
    )
    make_request(received_on=today, identity_verified_on=today, letter_reference="DS-2")
    page = officer_client.get(LIST_URL).text
    assert page.count("überfällig seit") == 1
    overdue = officer_client.get(LIST_URL, {"frist": "overdue"})
    assert len(overdue.context["cl"].result_list) == 1


def test_extension_in_the_admin_moves_the_due_date_once(officer_client):
    today = timezone.localdate()
    request = make_request(received_on=today, identity_verified_on=today)
    url = f"/admin/dsar/subjectrequest/{request.pk}/extend/"
    form = officer_client.get(url).text
    assert f'value="{today.isoformat()}"' in form  # the date field starts with a valid value
    response = officer_client.post(url, {"months": "2", "reason": "", "informed_on": today})
    assert "Dieses Feld ist zwingend erforderlich." in response.text
    officer_client.post(
        url, {"months": "2", "reason": "Daten aus vielen Systemen", "informed_on": today}
    )
    request.refresh_from_db()
    assert request.due_on == today + relativedelta(months=3)
    assert request.extension_informed_on == today
    response = officer_client.post(
        url, {"months": "1", "reason": "noch mehr", "informed_on": today}
    )
    assert "bereits einmal verlängert" in response.text


def test_an_overdue_request_cannot_be_extended_after_the_fact(officer_client):
    today = timezone.localdate()
    received = today - relativedelta(months=2)
    request = make_request(received_on=received, identity_verified_on=received)
    discovery = officer_client.get(f"/admin/dsar/subjectrequest/{request.pk}/discovery/").text
    assert "nachträglich nicht mehr möglich" in discovery
    response = officer_client.post(
        f"/admin/dsar/subjectrequest/{request.pk}/extend/",
        {"months": "1", "reason": "zu spät bemerkt", "informed_on": today},
    )
    assert "nachträglich" in response.text and "Art. 12 Abs. 3 Satz 3" in response.text
    request.refresh_from_db()
    assert request.extended_on is None


def test_discovery_page_and_exports(officer_client, accounts):
    get_user_model().objects.create_user(username="erika", email=ADDRESS, first_name="Erika")
    request = make_request()
    page = officer_client.get(f"/admin/dsar/subjectrequest/{request.pk}/discovery/")
    assert "Kundenkonten" not in page.text  # activities are named in the answer, not here
    assert "erika" in page.text and "berichtigen" in page.text
    json_export = officer_client.post(f"/admin/dsar/subjectrequest/{request.pk}/export.json")
    assert json_export["Content-Type"].startswith("application/json")
    activities = {a["key"]: a for a in json_export.json()["activities"]}
    assert activities["test-accounts"]["records"][0]["rows"][0]["username"] == "erika"
    assert activities["data-subject-requests"]["records"][0]["rows"][0]["channel"] == "letter"
    letter = officer_client.post(f"/admin/dsar/subjectrequest/{request.pk}/export.html").text
    for heading in ("Zweck", "Rechtsgrundlage", "Herkunft", "Empfänger", "Speicherdauer"):
        assert f"<dt>{heading}</dt>" in letter
    assert "Kundenkonten (Test)" in letter and "Heidestraße 17" in letter
    assert "kostenlos" in letter


def test_exports_are_posts_and_the_outcome_reads_as_sentences(officer_client, accounts):
    get_user_model().objects.create_user(username="erika", email=ADDRESS)
    request = make_request(wants_erasure=True)
    base = f"/admin/dsar/subjectrequest/{request.pk}"
    assert officer_client.get(f"{base}/export.html").status_code == 302  # a GET records nothing
    request.refresh_from_db()
    assert "access" not in request.outcome
    officer_client.post(f"{base}/export.html")
    officer_client.post(f"{base}/erase/")
    change = officer_client.get(f"{base}/change/").text
    assert "Auskunft als Schreiben erstellt am" in change
    assert "Benutzer: anonymisiert (1)" in change  # the test holder anonymises
    assert "auth.User" not in change and "{" not in change.split("dsar-outcome")[1][:400]


def test_rectification_through_the_admin(officer_client, accounts):
    user = get_user_model().objects.create_user(username="erika", email=ADDRESS, last_name="Muster")
    request = make_request(wants_rectification=True)
    url = f"/admin/dsar/subjectrequest/{request.pk}/rectify/"
    data = {"holder": "auth.User", "pk": user.pk, "field": "last_name", "value": "Mustermann"}
    officer_client.post(url, data)
    user.refresh_from_db()
    assert user.last_name == "Mustermann"


def test_erasure_through_the_admin_shows_the_report(officer_client, accounts):
    get_user_model().objects.create_user(username="erika", email=ADDRESS)
    request = make_request(wants_erasure=True)
    response = officer_client.post(f"/admin/dsar/subjectrequest/{request.pk}/erase/")
    assert "Die Adresse kommt in keiner anderen Tabelle mehr vor." in response.text
    assert "Betroffenenanfragen: 1" in response.text  # the request itself is kept as proof
    assert not get_user_model().objects.filter(email__iexact=ADDRESS).exists()


def test_erasure_asks_first_and_lists_in_words_what_goes_and_what_stays(officer_client, accounts):
    get_user_model().objects.create_user(username="erika", email=ADDRESS)
    request = make_request(wants_erasure=True, wants_no_mail=True)
    url = f"/admin/dsar/subjectrequest/{request.pk}/erase/"
    page = officer_client.get(url)
    assert page.status_code == 200
    assert "Ja, Daten jetzt löschen" in page.text
    assert "Benutzer" in page.text and "anonymisiert" in page.text
    assert "auth.User" not in page.text and "dsar.SubjectRequest" not in page.text
    assert "Sperrliste" in page.text
    assert "bleiben: vollständig bis zum Abschluss der Anfrage" in page.text  # the request
    assert get_user_model().objects.filter(email__iexact=ADDRESS).exists()  # nothing changed
    assert not AuditEntry.objects.filter(action=AuditAction.ERASE).exists()
    assert "Daten löschen …" in officer_client.get(f"{LIST_URL}{request.pk}/discovery/").text


def test_erasure_is_refused_while_accuracy_is_contested(officer_client, accounts):
    get_user_model().objects.create_user(username="erika", email=ADDRESS)
    request = make_request(wants_erasure=True, wants_restriction=True)
    restrict_url = f"/admin/dsar/subjectrequest/{request.pk}/restrict/"
    confirm = officer_client.get(restrict_url).text
    assert "Ja, Verarbeitung einschränken" in confirm and "schreibgeschützt" in confirm
    officer_client.post(restrict_url, {"ground": RestrictionGround.ACCURACY})
    restriction = Restriction.objects.active().get()
    url = f"/admin/dsar/subjectrequest/{request.pk}/erase/"
    page = officer_client.get(url).text
    assert "Art. 18 Abs. 1 lit. a" in page and "Ja, Daten jetzt löschen" not in page
    assert f"/admin/dsar/restriction/{restriction.pk}/lift/" in page
    officer_client.post(url)
    assert get_user_model().objects.filter(email__iexact=ADDRESS).exists()
    restriction.lifted_at, restriction.lift_reason = timezone.now(), "Person unterrichtet"
    restriction.save()
    assert "Ja, Daten jetzt löschen" in officer_client.get(url).text
    officer_client.post(url)
    assert not get_user_model().objects.filter(email__iexact=ADDRESS).exists()


def test_restriction_without_a_ground_keeps_the_page_with_a_message(officer_client):
    request = make_request(wants_restriction=True)
    response = officer_client.post(f"/admin/dsar/subjectrequest/{request.pk}/restrict/", {})
    assert response.status_code == 200 and 'class="errorlist' in response.text
    assert not Restriction.objects.exists()


def test_a_request_whose_identity_check_has_not_started_is_flagged_after_seven_days(
    officer_client,
):
    today = timezone.localdate()
    stale = make_request(received_on=today - timedelta(days=8), identity_verified_on=None)
    fresh = make_request(
        received_on=today - timedelta(days=2), identity_verified_on=None, letter_reference="neu"
    )
    page = officer_client.get(LIST_URL).text
    assert "Identitätsprüfung seit 8 Tagen nicht begonnen" in page
    assert "ruht: Identität ungeprüft" in page  # the fresh one, not flagged yet
    flagged = officer_client.get(f"{LIST_URL}?frist=identity-unstarted").text
    assert f"/admin/dsar/subjectrequest/{stale.pk}/change/" in flagged
    assert f"/admin/dsar/subjectrequest/{fresh.pk}/change/" not in flagged


def test_completed_request_is_read_only(officer_client):
    request = make_request()
    officer_client.post(f"/admin/dsar/subjectrequest/{request.pk}/complete/")
    request.refresh_from_db()
    assert request.completed_on is not None and request.email == ""
    page = officer_client.get(f"/admin/dsar/subjectrequest/{request.pk}/change/").text
    assert 'name="_save"' not in page


def test_restricted_persons_rows_are_read_only_until_lifted(client, audited_user_admin):
    officer = make_staff("dpo")
    officer.is_superuser = True
    officer.save()
    client.force_login(officer)
    customer = get_user_model().objects.create_user(username="erika", email=ADDRESS)
    change = f"{audited_user_admin}auth/user/{customer.pk}/change/"
    assert 'name="_save"' in client.get(change).text
    restriction = Restriction.objects.create(
        email_digest=address_digest(ADDRESS), ground=RestrictionGround.ACCURACY
    )
    assert 'name="_save"' not in client.get(change).text
    assert client.post(change, {"username": "x"}).status_code == 403
    restriction.lifted_at, restriction.lift_reason = timezone.now(), "geklärt"
    restriction.save()
    assert 'name="_save"' in client.get(change).text


def test_lifting_a_restriction_in_the_admin_is_logged(officer_client):
    restriction = Restriction.objects.create(
        email_digest=address_digest(ADDRESS), ground=RestrictionGround.OBJECTION
    )
    url = f"/admin/dsar/restriction/{restriction.pk}/lift/"
    assert "Dieses Feld" in officer_client.post(url, {"reason": ""}).text
    officer_client.post(url, {"reason": "Widerspruch geprüft, berechtigte Gründe überwiegen"})
    restriction.refresh_from_db()
    assert restriction.lifted_at is not None
    assert AuditEntry.objects.filter(
        action=AuditAction.UNRESTRICT, object_id=str(restriction.pk)
    ).exists()


def test_english_catalogue_is_compiled_and_loaded():
    # The admin itself is served in German (outside i18n_patterns); the catalogue serves
    # English wherever the language is English, e.g. the record of processing.
    with translation.override("en"):
        assert str(SubjectRequest._meta.verbose_name_plural) == "Data-subject requests"
        assert str(registry.activities["data-subject-requests"].name) == (
            "Handling of data-subject requests"
        )


def test_discovery_lists_each_row_as_labels_and_names_app_and_model_once(officer_client, accounts):
    get_user_model().objects.create_user(username="erika", email=ADDRESS, first_name="Erika")
    request = make_request()
    page = officer_client.get(f"/admin/dsar/subjectrequest/{request.pk}/discovery/").text
    crumbs = page.split('<ol class="breadcrumbs">', 1)[1].split("</ol>", 1)[0]
    assert crumbs.count("Betroffenenrechte") == 1 and crumbs.count("Betroffenenanfragen") == 1
    found = page.split("Gefundene Daten", 1)[1].split("Auskunft (Art. 15", 1)[0]
    assert "<table" not in found and '<div class="dsar-record">' in found
    assert "(auth.User" not in found and "<dt>Benutzername</dt><dd>erika</dd>" in found
