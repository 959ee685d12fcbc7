"""Sign-in limits of the admin and the CX cloud, through HTTP."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import limiter
from cloud.tests.factories import PASSWORD, make_member, make_organisation
from conftest import free_port

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1_900_800_000.0  # the start of an hour

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(limiter, "time", clock)
    return clock


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


def cx_sign_in(client, email, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        reverse("cloud:login"), {"email": email, "password": password}, REMOTE_ADDR=address
    )


def admin_sign_in(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_delay_grows_with_failures_and_ends(client, clock, settings):
    settings.SIGNIN_CLIENT_BUDGET_PER_MINUTE = 0
    email = make_member(organisation=make_organisation()).user.email
    for _ in range(3):
        assert "falsch" in cx_sign_in(client, email, "geraten").content.decode()
    assert "warten Sie 1 Sekunde" in cx_sign_in(client, email).content.decode()
    clock.now += 1
    assert "falsch" in cx_sign_in(client, email, "geraten").content.decode()
    assert "warten Sie 2 Sekunden" in cx_sign_in(client, email).content.decode()
    clock.now += 2
    response = cx_sign_in(client, email)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_flood_at_one_address_does_not_lock_its_owner_out(client, clock, settings):
    settings.SIGNIN_CLIENT_BUDGET_PER_MINUTE = 0
    email = make_member(organisation=make_organisation()).user.email
    attacker = "203.0.113.9"
    for failures in range(1, 13):  # the attacker waits out every delay
        assert "falsch" in cx_sign_in(client, email, "geraten", address=attacker).content.decode()
        if failures < 12:
            clock.now += limiter._delay(failures, limiter.MAX_DELAY)
    # The attacker's own client now waits 512 seconds, and twice as long after the next failure ...
    assert "warten Sie 512 Sekunden" in cx_sign_in(client, email, address=attacker).content.decode()
    # ... while the owner elsewhere waits at most the account-wide cap, then gets in.
    owner = cx_sign_in(client, email, address="198.51.100.4").content.decode()
    assert "Zu viele" not in owner or f"{limiter.ACCOUNT_MAX_DELAY} Sekunden" in owner
    clock.now += limiter.ACCOUNT_MAX_DELAY
    assert cx_sign_in(client, email, address="198.51.100.4").status_code == 302


def test_a_client_has_a_budget_of_password_checks(client, clock, settings, monkeypatch):
    settings.SIGNIN_CLIENT_BUDGET_PER_MINUTE = 5
    checks = []
    from django.contrib.auth.backends import ModelBackend

    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checks.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    # Five checks a minute: one per twelve seconds, the rest answered before any hashing.
    for number in range(8):
        cx_sign_in(client, f"zufall{number}@example.org", "geraten")
    assert len(checks) == 1
    page = cx_sign_in(client, "noch-einer@example.org", "geraten").content.decode()
    assert "Zu viele Fehlversuche" in page
    assert "noch-einer@example.org" in page  # what was typed is kept
    # Another client is not affected, and the budget returns after the slot.
    assert "falsch" in cx_sign_in(client, "a@example.org", "x", address="10.9.9.9").content.decode()
    clock.now += 12
    assert "falsch" in cx_sign_in(client, "b@example.org", "geraten").content.decode()
    assert len(checks) == 3


def test_the_admin_password_step_is_limited_too(client, clock, settings):
    settings.SIGNIN_CLIENT_BUDGET_PER_MINUTE = 0
    get_user_model().objects.create_user(
        username="mia", email="mia@example.org", password=PASSWORD, is_staff=True
    )
    for _ in range(3):
        assert admin_sign_in(client, "mia", "geraten").status_code == 200
    page = admin_sign_in(client, "mia").content.decode()
    assert "warten Sie 1 Sekunde" in page
    assert "_auth_user_id" not in client.session
    clock.now += 1
    assert admin_sign_in(client, "mia").status_code == 302


def test_no_address_is_stored_only_a_keyed_hash(client, clock, settings):
    email = make_member(organisation=make_organisation()).user.email
    cx_sign_in(client, email, "geraten", address="192.0.2.77")
    from django.core.cache import cache

    keys = list(cache._cache.keys())  # local-memory cache in tests
    assert keys and not any("192.0.2.77" in key or email in key for key in keys)


def test_the_sign_in_fails_open_when_the_cache_is_down(client, settings, caplog):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    email = make_member(organisation=make_organisation()).user.email
    try:
        with caplog.at_level(logging.WARNING, logger="accounts.limiter"):
            assert "falsch" in cx_sign_in(client, email, "geraten").content.decode()
            assert cx_sign_in(client, email).status_code == 302
    finally:
        caches["default"].close()
    assert "cache unreachable" in caplog.text


def test_the_limits_count_across_processes_in_redis(client, redis_client, settings, clock):
    settings.SIGNIN_CLIENT_BUDGET_PER_MINUTE = 0
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"accounts-test-{id(clock)}",
        }
    }
    email = make_member(organisation=make_organisation()).user.email
    try:
        for _ in range(3):
            cx_sign_in(client, email, "geraten")
        assert any(b"signin:cx" in key for key in redis_client.keys(f"accounts-test-{id(clock)}*"))
        assert "warten Sie" in cx_sign_in(client, email).content.decode()
    finally:
        caches["default"].clear()
        caches["default"].close()
