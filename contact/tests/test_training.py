import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.utils import timezone

from conftest import unavailable
from contact.models import Inquiry
from contact.services import RegistrationRefused, inquiry_create
from contact.tests.factories import make_event, training_data

FULL = "ausgebucht"


@pytest.mark.django_db
def test_registration_after_the_deadline_is_refused(client):
    event = make_event(registration_deadline=timezone.now() - timedelta(minutes=1))
    response = client.post(f"/schulungen/{event.slug}/anmeldung/", training_data())
    assert "Der Anmeldeschluss für diese Schulung ist vorbei." in response.content.decode()
    assert not Inquiry.objects.exists()


@pytest.mark.django_db
def test_a_full_event_refuses_and_keeps_the_input(client):
    event = make_event(seats=1)
    client.post(f"/schulungen/{event.slug}/anmeldung/", training_data())
    response = client.post(
        f"/schulungen/{event.slug}/anmeldung/", training_data(name="Zweite Person")
    )
    page = response.content.decode()
    assert FULL in page and 'value="Zweite Person"' in page
    assert Inquiry.objects.count() == 1


@pytest.mark.django_db
def test_a_double_submit_of_the_last_seat_leads_to_the_same_confirmation(client):
    event = make_event(seats=1)
    data = training_data()
    first = client.post(f"/schulungen/{event.slug}/anmeldung/", data)
    second = client.post(f"/schulungen/{event.slug}/anmeldung/", data)
    assert second.status_code == HTTPStatus.FOUND
    assert first["Location"] == second["Location"]
    assert Inquiry.objects.count() == 1


@pytest.mark.django_db
def test_the_service_refuses_a_full_event():
    event = make_event(seats=0)
    data = {"name": "A", "email": "a@example.org", "submission_key": __import__("uuid").uuid4()}
    with pytest.raises(RegistrationRefused):
        inquiry_create(kind="training", data=data, event=event)


def _post_all(url: str, count: int) -> list[tuple[int, str]]:
    """POST the registration form ``count`` times at once, each as its own browser."""
    with urllib.request.urlopen(url) as page:
        cookie = page.headers["Set-Cookie"].split(";")[0]
        (token,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    barrier = threading.Barrier(count)
    results: list[tuple[int, str]] = []
    opener = urllib.request.build_opener(_NoRedirect)

    def register(n: int):
        body = urllib.parse.urlencode(
            {**training_data(name=f"Teilnehmer {n}"), "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(url, body, headers={"Cookie": cookie, "Referer": url})
        barrier.wait()
        try:
            with opener.open(request) as response:
                results.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            results.append((error.code, error.read().decode()))

    threads = [threading.Thread(target=register, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_never_overbook(live_server, settings):
    """Twelve visitors register for five seats at the same moment: five get in, seven are told."""
    if connection.vendor != "postgresql":
        unavailable("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
    settings.CONTACT_RATE_LIMIT = 1000
    event = make_event(seats=5)
    results = _post_all(f"{live_server.url}/schulungen/{event.slug}/anmeldung/", 12)
    statuses = sorted(status for status, _body in results)
    assert statuses == [HTTPStatus.OK] * 7 + [HTTPStatus.FOUND] * 5
    assert all(FULL in body for status, body in results if status == HTTPStatus.OK)
    assert Inquiry.objects.filter(event=event).count() == 5


@pytest.mark.django_db
def test_demo_events_are_listed_and_open_for_registration(client):
    from contact.demo import load_demo_content

    load_demo_content()
    load_demo_content()  # a second `make run` adds nothing
    page = client.get("/schulungen/").content.decode()
    assert page.count("/anmeldung/") == 2
    assert "Einführung in OPTIGEM Win-Finanz" in page


@pytest.mark.django_db
def test_the_list_shows_seats_left_and_a_full_event_says_ausgebucht_instead_of_the_form(client):
    roomy = make_event(seats=3, title="Jahresabschluss")
    full = make_event(seats=1, title="Spendenquittungen")
    client.post(f"/schulungen/{roomy.slug}/anmeldung/", training_data())
    client.post(f"/schulungen/{full.slug}/anmeldung/", training_data())
    listing = " ".join(client.get("/schulungen/").content.decode().split())
    assert "noch 2 Plätze frei" in listing
    assert f'href="/schulungen/{full.slug}/anmeldung/"' not in listing
    assert "<strong>ausgebucht</strong>" in listing

    page = client.get(f"/schulungen/{full.slug}/anmeldung/").content.decode()
    assert "Diese Schulung ist ausgebucht." in page
    assert "<form" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    open_page = client.get(f"/schulungen/{roomy.slug}/anmeldung/").content.decode()
    assert "noch 2 Plätze frei" in " ".join(open_page.split()) and 'name="email"' in open_page
