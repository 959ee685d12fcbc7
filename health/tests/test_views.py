"""/healthz and /readyz over HTTP, with real services and with services on a closed port."""

import logging

import pytest
from django.test import Client

from conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_settings(settings, redis_client):
    url = redis_client.connection_pool.connection_kwargs
    location = f"redis://{url.get('host', '127.0.0.1')}:{url.get('port', 6379)}/{url.get('db', 0)}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    settings.CELERY_BROKER_URL = location
    return settings


def test_healthz_answers_without_cookies_csp_or_personal_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not response.cookies
    assert "Content-Security-Policy" not in response.headers
    assert "no-cache" in response.headers["Cache-Control"]


def test_readyz_is_ok_when_every_service_answers(client, redis_settings):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "failed": [],
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }


def test_readyz_names_a_broker_on_a_closed_port(client, redis_settings):
    redis_settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_readyz_names_a_cache_on_a_closed_port(client, redis_settings):
    redis_settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["cache"] == "failed"


def test_readyz_names_a_database_that_does_not_answer(client, redis_settings):
    from django.db import connections

    real = connections["default"].settings_dict["PORT"]
    connections["default"].settings_dict["PORT"] = str(free_port())
    try:
        response = Client().get("/readyz")
    finally:
        connections["default"].settings_dict["PORT"] = real
    assert response.status_code == 503
    assert "database" in response.json()["failed"]


def test_health_requests_are_not_logged(client, redis_settings, caplog):
    from health.logfilters import SkipHealthChecks

    redis_settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.INFO):
        client.get("/readyz")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records, "django.request reports the 503"
    assert not any(SkipHealthChecks().filter(r) for r in records)
    access = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(r)s", None, None)
    access.args = {"U": "/healthz", "r": "GET /healthz HTTP/1.1"}
    assert not SkipHealthChecks().filter(access)
    access.args = {"U": "/kontakt/", "r": "GET /kontakt/ HTTP/1.1"}
    assert SkipHealthChecks().filter(access)


def test_health_endpoints_pass_the_production_guards(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/kontakt/").status_code == 301
