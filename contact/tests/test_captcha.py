from http import HTTPStatus

import pytest

from contact.models import Inquiry
from contact.tests.factories import contact_data, make_event, support_data, training_data

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Die Sicherheitsprüfung (hCaptcha) ist gerade nicht erreichbar."
FAILED = "Die Sicherheitsprüfung (hCaptcha) war nicht erfolgreich."


def _post(client, token: str | None, url: str = "/kontakt/", data: dict | None = None):
    data = data or contact_data(message="Meine sorgfältig formulierte Frage <b>fett</b>")
    if token is not None:
        data["h-captcha-response"] = token
    return client.post(url, data, REMOTE_ADDR="203.0.113.77")


def test_a_solved_captcha_lets_the_request_through(client, hcaptcha):
    response = _post(client, "pass")
    assert response.status_code == HTTPStatus.FOUND
    assert Inquiry.objects.count() == 1
    (sent,) = hcaptcha.requests
    assert sent["secret"] == ["0x-test-secret"]
    assert sent["response"] == ["pass"]


@pytest.mark.parametrize("token", ["pass", "fail", "error", "garbage", "list", "slow"])
def test_the_visitor_address_is_never_sent_to_hcaptcha(client, hcaptcha, token):
    _post(client, token)
    (sent,) = hcaptcha.requests
    assert set(sent) == {"secret", "response"}
    assert "203.0.113.77" not in repr(sent)


def test_a_failed_captcha_asks_to_solve_it_again_and_keeps_the_text(client, hcaptcha):
    response = _post(client, "fail")
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert FAILED in page
    assert "Meine sorgfältig formulierte Frage &lt;b&gt;fett&lt;/b&gt;" in page
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize("token", ["slow", "error", "garbage", "list"])
def test_an_unusable_verify_response_gives_a_german_message_and_keeps_the_input(
    client, hcaptcha, token
):
    """Timeout, HTTP 500, a body that is not JSON, JSON that is not an object: never a 500."""
    response = _post(client, token)
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert UNAVAILABLE in page
    assert "Meine sorgfältig formulierte Frage &lt;b&gt;fett&lt;/b&gt;" in page
    assert 'value="erika@example.org"' in page
    assert not Inquiry.objects.exists()


def test_an_unreachable_verify_endpoint_gives_the_same_message(client, hcaptcha, settings):
    from conftest import free_port

    settings.HCAPTCHA_VERIFY_URL = f"http://127.0.0.1:{free_port()}/siteverify"
    response = _post(client, "pass")
    assert response.status_code == HTTPStatus.OK
    assert UNAVAILABLE in response.content.decode()
    assert not Inquiry.objects.exists()


def test_a_missing_captcha_answer_is_asked_for(client, hcaptcha):
    response = _post(client, None)
    assert "Bitte bestätigen Sie mit der Sicherheitsprüfung" in response.content.decode()
    assert hcaptcha.requests == []
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize(
    ("url", "data"),
    [("/support/", support_data), ("/schulungen/{slug}/anmeldung/", training_data)],
)
def test_every_form_is_protected(client, hcaptcha, url, data):
    url = url.format(slug=make_event().slug)
    assert "h-captcha" in client.get(url).content.decode()
    assert UNAVAILABLE in _post(client, "error", url, data()).content.decode()
    assert _post(client, "pass", url, data()).status_code == HTTPStatus.FOUND
