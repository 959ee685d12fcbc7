"""Session lifetimes and the caching and feature headers, through HTTP."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import middleware
from cloud.tests.factories import make_member, make_organisation, make_receipt, sign_in

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1_900_800_000.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(middleware, "time", clock)
    return clock


@pytest.fixture
def staff(client, clock):
    user = get_user_model().objects.create_user(
        username="mia", email="mia@example.org", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return user


def test_a_staff_session_ends_after_an_hour_idle(client, staff, clock):
    assert client.get(reverse("admin:index")).status_code == 200
    clock.now += 59 * 60
    assert client.get(reverse("admin:index")).status_code == 200
    clock.now += 59 * 60  # active, so still signed in
    assert client.get(reverse("admin:index")).status_code == 200
    clock.now += 61 * 60
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert "_auth_user_id" not in client.session


def test_a_staff_session_ends_after_eight_hours_however_active(client, staff, clock):
    assert client.get(reverse("admin:index")).status_code == 200
    for _ in range(8 * 2 + 1):
        clock.now += 30 * 60
        response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_session_cookie_lasts_only_the_idle_time(client, clock):
    get_user_model().objects.create_user(
        username="ida", email="ida@example.org", password="ein-langes-Passwort-2024", is_staff=True
    )
    response = client.post(
        reverse("admin:login"), {"username": "ida", "password": "ein-langes-Passwort-2024"}
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 60 * 60


def test_cx_session_lifetimes_are_settings(client, clock, settings):
    settings.CLOUD_SESSION_IDLE = 10 * 60
    member = make_member(organisation=make_organisation())
    sign_in(client, member.user)
    assert client.get(reverse("cloud:organisations")).status_code == 200
    clock.now += 11 * 60
    assert client.get(reverse("cloud:organisations")).status_code == 302


def test_every_response_carries_a_permissions_policy(client):
    policy = client.get(reverse("home"))["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


def test_anonymous_public_pages_may_be_cached_signed_in_pages_not(client, staff):
    assert "no-store" in client.get(reverse("admin:index"))["Cache-Control"]
    client.logout()
    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")
    assert "no-store" in client.get(reverse("admin:login"))["Cache-Control"]


def test_cx_pages_downloads_and_api_are_not_stored(client):
    organisation = make_organisation()
    member = make_member(organisation=organisation, role="admin")
    receipt = make_receipt(membership=member)
    sign_in(client, member.user)
    assert "no-store" in client.get(reverse("cloud:organisations"))["Cache-Control"]
    download = client.get(reverse("cloud:receipt_file", args=[organisation.slug, receipt.pk]))
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    client.logout()
    api = client.get(reverse("cloud:api_receipts"))
    assert "no-store" in api["Cache-Control"]
