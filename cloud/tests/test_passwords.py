"""CX account recovery and password change, through HTTP with a real SMTP sink."""

import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cloud.models import MailState, OutgoingMail
from cloud.tokens import password_reset_token
from privacy.registry import MailGuard, registry

from .factories import PASSWORD, make_member, make_organisation, make_user, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "ganz-neues-Passwort-2026"
LINK = re.compile(r"https?://\S+/cx/passwort-vergessen/\S+/\S+/")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def request_link(django_capture_on_commit_callbacks):
    """Ask for a link as a visitor does; the mail task runs after the request's commit."""

    def post(client, email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("cloud:password_reset"), {"email": email})

    return post


def _link_path(message, settings) -> str:
    body = message.get_payload(decode=True).decode()
    match = LINK.search(body)
    assert match, "no link in the mail"
    return match.group(0).removeprefix(settings.SITE_URL)


def _set_password(client, path, password=NEW_PASSWORD):
    form = client.get(path)  # moves the token from the address into the session
    assert form.status_code == 302
    return client.post(form["Location"], {"new_password1": password, "new_password2": password})


def test_the_sign_in_page_offers_the_reset_and_any_address_gets_the_same_answer(
    client, smtp_sink, settings, request_link
):
    user = make_user()
    page = client.get(reverse("cloud:login")).content.decode()
    assert reverse("cloud:password_reset") in page and "Passwort vergessen?" in page
    known = request_link(client, user.email.upper())
    unknown = request_link(client, "niemand@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("cloud:password_reset_done")
    done = client.get(known["Location"]).content.decode()
    assert "Wenn zu der angegebenen Adresse ein Konto besteht" in done
    assert "eine Stunde" in done
    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == user.email
    assert str(make_header(decode_header(message["Subject"]))) == "Neues Passwort für OPTIGEM CX"
    assert user.email not in _link_path(message, settings)


def test_the_link_sets_a_new_password_once_and_ends_every_session(
    client, smtp_sink, settings, request_link
):
    member = make_member(organisation=make_organisation())
    elsewhere = sign_in(Client(), member.user)
    assert elsewhere.get(reverse("cloud:profile")).status_code == 200
    request_link(client, member.user.email)
    (message,) = smtp_sink.wait_for(1)
    path = _link_path(message, settings)

    done = _set_password(client, path)
    assert done["Location"] == reverse("cloud:login")
    assert "Ihr neues Passwort ist gespeichert" in client.get(done["Location"]).content.decode()
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)
    # The session on the other device has ended.
    assert elsewhere.get(reverse("cloud:profile"))["Location"].startswith(reverse("cloud:login"))
    # The same link again: refused, the password stays.
    again = Client().get(path, follow=True)
    assert "abgelaufen oder wurde schon benutzt" in again.content.decode()
    assert "new_password1" not in again.content.decode()
    signed_in = client.post(
        reverse("cloud:login"), {"email": member.user.email, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_a_link_older_than_an_hour_is_refused(
    client, smtp_sink, settings, monkeypatch, request_link
):
    user = make_user()
    request_link(client, user.email)
    (message,) = smtp_sink.wait_for(1)
    path = _link_path(message, settings)
    issued = password_reset_token._now()
    # The clock moves on; the link was made at ``issued``.
    monkeypatch.setattr(password_reset_token, "_now", lambda: issued + timedelta(minutes=59))
    assert client.get(path).status_code == 302  # within the hour it still works
    monkeypatch.setattr(password_reset_token, "_now", lambda: issued + timedelta(minutes=61))
    expired = Client().get(path, follow=True)
    assert "abgelaufen oder wurde schon benutzt" in expired.content.decode()


def test_staff_and_blocked_addresses_get_no_mail(client, smtp_sink, request_link):
    staff = make_user(email="mitarbeiterin@example.org")
    get_user_model().objects.filter(pk=staff.pk).update(is_staff=True)
    make_user(email="gesperrt@example.org")
    guard = MailGuard(
        key="test-reset-block", blocks=lambda address, kind: address == "gesperrt@example.org"
    )
    registry.register(guard)
    try:
        for email in ("mitarbeiterin@example.org", "gesperrt@example.org"):
            assert request_link(client, email)["Location"] == reverse("cloud:password_reset_done")
    finally:
        del registry.mail_guards["test-reset-block"]
    smtp_sink.wait_for(1, timeout=1)
    assert smtp_sink.received == []
    # Staff get no row at all; the blocked address is recorded as blocked, not mailed.
    (blocked,) = OutgoingMail.objects.all()
    assert (blocked.recipient, blocked.state, blocked.blocked_by) == (
        "gesperrt@example.org",
        MailState.BLOCKED,
        "test-reset-block",
    )


def test_a_client_asking_too_often_is_held_back_and_keeps_its_input(
    client, smtp_sink, settings, request_link
):
    settings.CLOUD_PASSWORD_RESET_RATE_LIMIT = 2
    for _ in range(2):
        assert request_link(client, "jemand@example.org").status_code == 302
    held = request_link(client, "jemand@example.org")
    assert held.status_code == 429
    html = held.content.decode()
    assert "Zu viele Anfragen" in html and 'value="jemand@example.org"' in html


def test_a_password_change_keeps_this_session_and_ends_the_others(client):
    member = make_member(organisation=make_organisation())
    sign_in(client, member.user)
    elsewhere = sign_in(Client(), member.user)
    url = reverse("cloud:password_change")
    assert url in client.get(reverse("cloud:profile")).content.decode()
    wrong = client.post(
        url,
        {"old_password": "falsch", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert 'name="old_password"' in wrong.content.decode()
    changed = client.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed["Location"] == reverse("cloud:profile")
    profile = client.get(changed["Location"])
    assert profile.status_code == 200
    assert "Auf allen anderen Geräten sind Sie jetzt abgemeldet" in profile.content.decode()
    assert elsewhere.get(reverse("cloud:profile"))["Location"].startswith(reverse("cloud:login"))
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)


def test_the_recovery_pages_speak_english_under_en(client):
    page = client.get("/en/cx/passwort-vergessen/").content.decode()
    assert "Forgotten password" in page and "valid for one hour" in page
    assert "Passwort" not in page
