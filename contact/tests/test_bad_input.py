"""Bad input of every kind: a clear German error or a harmless stored value, never a 500."""

import uuid
from functools import partial
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contact.models import Inquiry
from contact.tests.factories import contact_data, make_event, support_data, training_data
from privacy.ratelimit import bucket_key

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FIELDS = ["name", "email", "organisation", "phone", "subject", "message", "submission_key"]


def test_html_and_script_are_stored_as_text_and_shown_escaped(client, staff_user):
    data = contact_data(
        name=SCRIPT[:100], organisation=SCRIPT, subject=SCRIPT, phone="<b>1</b>", message=SCRIPT
    )
    assert client.post("/kontakt/", data).status_code == HTTPStatus.FOUND
    inquiry = Inquiry.objects.get()
    assert inquiry.message == SCRIPT
    client.force_login(staff_user("Support"))
    page = client.get(f"/admin/contact/inquiry/{inquiry.pk}/change/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


@pytest.mark.parametrize("field", ["name", "subject", "organisation", "phone"])
@pytest.mark.parametrize("injection", ["A\r\nBcc: victim@example.org", "A\nB", "A\x00B", "A\x1bB"])
def test_line_breaks_and_control_characters_in_one_line_fields_are_refused(
    client, field, injection
):
    response = client.post("/kontakt/", contact_data(**{field: injection}))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Zeilenumbrüche oder Steuerzeichen" in page or "Null-Zeichen" in page
    assert not Inquiry.objects.exists()


def test_line_breaks_in_the_message_are_kept(client):
    client.post("/kontakt/", contact_data(message="Zeile 1\r\nZeile 2\tTab"))
    assert Inquiry.objects.get().message.splitlines() == ["Zeile 1", "Zeile 2\tTab"]


def test_header_injection_in_the_email_address_is_refused(client):
    response = client.post("/kontakt/", contact_data(email="a@example.org\r\nBcc: b@example.org"))
    assert "gültige E-Mail-Adresse" in response.content.decode()
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize(
    ("field", "length"), [("name", 101), ("subject", 151), ("message", 5001), ("phone", 41)]
)
def test_over_long_fields_get_a_clear_message_and_keep_the_text(client, field, length):
    response = client.post("/kontakt/", contact_data(**{field: "x" * length}))
    page = response.content.decode()
    assert "höchstens" in page and f"besteht aus {length} Zeichen" in page
    assert "x" * length in page
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize(
    "override",
    [
        {"is_minor": ["on", "off"]},
        {"email": ["a@example.org", "b@example.org"]},
        {"submission_key": "not-a-uuid"},
        {"submission_key": ""},
        {"is_minor": "ja", "guardian_email": 42},
    ],
)
def test_wrong_types_never_cause_a_500(client, override):
    response = client.post("/kontakt/", {**contact_data(), **override})
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}


def test_a_post_without_csrf_token_is_refused_clearly(client):
    guarded = Client(enforce_csrf_checks=True)
    response = guarded.post("/kontakt/", contact_data())
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.content.decode()
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize(
    ("url", "data"),
    [("/kontakt/", contact_data), ("/support/", support_data), ("training", training_data)],
)
def test_a_double_submit_stores_one_request(client, url, data):
    if url == "training":
        url = f"/schulungen/{make_event().slug}/anmeldung/"
    payload = data()
    first = client.post(url, payload)
    second = client.post(url, payload)
    # Both answers lead to the same request; the signed token's timestamp may differ by a second.
    assert first["Location"].split(":")[0] == second["Location"].split(":")[0]
    assert Inquiry.objects.count() == 1


def test_too_many_posts_get_429_with_a_german_message(client, settings):
    settings.CONTACT_RATE_LIMIT = 3
    for _ in range(5):  # invalid submissions are not counted
        assert client.post("/kontakt/", contact_data(email="x")).status_code == HTTPStatus.OK
    for _ in range(3):
        assert client.post("/kontakt/", contact_data()).status_code == HTTPStatus.FOUND
    response = client.post("/kontakt/", contact_data(message="Noch eine Frage zur Lizenz"))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Zu viele Anfragen" in response.content.decode()
    assert "Noch eine Frage zur Lizenz" in response.content.decode()  # what was typed is kept
    assert client.get("/kontakt/").status_code == HTTPStatus.OK  # reading is never limited
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.post("/kontakt/", contact_data()).status_code == HTTPStatus.FOUND


def test_the_limit_counts_in_redis_under_a_key_without_the_address(client, settings, redis_client):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        },
    }
    settings.CONTACT_RATE_LIMIT_CACHE = "ratelimit"
    settings.CONTACT_RATE_LIMIT = 1
    address = "192.0.2.44"
    first = client.post("/kontakt/", contact_data(), REMOTE_ADDR=address)
    second = client.post("/kontakt/", contact_data(), REMOTE_ADDR=address)
    assert (first.status_code, second.status_code) == (302, 429)
    prefix = settings.CACHES["ratelimit"]["KEY_PREFIX"]
    keys = [key.decode() for key in redis_client.keys(f"{prefix}*")]
    assert len(keys) == 1
    assert address not in keys[0]
    assert 0 < redis_client.ttl(keys[0]) <= settings.CONTACT_RATE_LIMIT_WINDOW
    redis_client.delete(*keys)


def test_the_key_is_a_keyed_hash_of_address_and_window(rf, settings):
    key = partial(bucket_key, scope="contact", window=600)
    request = rf.post("/kontakt/", REMOTE_ADDR="192.0.2.1")
    assert "192.0.2.1" not in key(request, now=0)
    assert key(request, now=0) != key(request, now=10_000)
    settings.CONTACT_PROXY_HOPS = 1
    proxied = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert key(proxied, now=0) == key(request, now=0)


def test_no_ip_address_is_stored_with_a_request(client):
    client.post("/kontakt/", contact_data(), REMOTE_ADDR="203.0.113.5")
    row = Inquiry.objects.values().get()
    assert "203.0.113.5" not in repr(row)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM contact_inquiry")
            assert "203.0.113.5" not in repr(cursor.fetchall())


@pytest.fixture
def unlimited(settings):
    """Many examples from one client: the rate limit is not what these tests are about."""
    settings.CONTACT_RATE_LIMIT = 10**6


text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.fixed_dictionaries({name: text for name in FIELDS}), st.booleans())
def test_any_contact_input_is_answered_without_error(client, unlimited, values, is_minor):
    data = {**values, **({"is_minor": "on", "guardian_email": values["email"]} if is_minor else {})}
    response = client.post("/kontakt/", data, REMOTE_ADDR="10.0.0.1")
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}
    if response.status_code == HTTPStatus.OK:
        page = response.content.decode()
        assert 'class="errorlist' in page  # a refusal always says why


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.fixed_dictionaries(
        {name: text for name in ("name", "email", "customer_number", "product", "subject")},
        optional={"message": text, "phone": st.integers().map(str)},
    )
)
def test_any_support_input_is_answered_without_error(client, unlimited, values):
    response = client.post("/support/", values)
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.fixed_dictionaries({"name": text, "email": st.emails(), "message": text}))
def test_valid_training_input_is_stored_exactly_as_typed_apart_from_outer_space(
    client, unlimited, values
):
    event = make_event(seats=1000)
    response = client.post(f"/schulungen/{event.slug}/anmeldung/", {**training_data(), **values})
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}
    if response.status_code == HTTPStatus.FOUND:
        stored = Inquiry.objects.filter(event=event).get()
        assert stored.name == values["name"].strip()


def test_an_empty_post_names_every_required_field(client):
    page = client.post("/kontakt/", {}).content.decode()
    assert page.count("Dieses Feld ist zwingend erforderlich.") == 3  # name, e-mail, message
    assert not Inquiry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_without_an_outer_transaction_stores_one_request(client):
    """As in production (autocommit): the duplicate INSERT fails alone and finds the first."""
    payload = contact_data()
    first = client.post("/kontakt/", payload)
    second = client.post("/kontakt/", payload)
    # Both answers lead to the same request; the signed token's timestamp may differ by a second.
    assert first["Location"].split(":")[0] == second["Location"].split(":")[0]
    assert Inquiry.objects.count() == 1
