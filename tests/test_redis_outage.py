"""With Redis (cache and broker) unreachable every public page and the contact form answer.

CACHE_URL and the broker point at a port where nothing listens (a real refused connection,
not a mock); the contact submission is a row first, so it is accepted and sent later.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from contact.models import Inquiry
from optigem_site.celery import app as celery_app
from tests.instances import free_port

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("admin/", "cx/", "media/", "static/")


def public_paths(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIP_PREFIXES) or "<" in route or "(?P" in route:
            continue
        if isinstance(pattern, URLResolver):
            yield from public_paths(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + route.lstrip("^").rstrip("$")


@pytest.fixture
def redis_down(settings):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    previous = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url = dead
    celery_app.conf.task_always_eager = False
    yield dead
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous


def test_every_public_page_answers_with_redis_down(client, redis_down):
    # /readyz exists to say that a service is down: its 503 names the failed parts.
    paths = sorted(set(public_paths()) - {"/readyz"})
    assert "/kontakt/" in paths
    failures = {path: client.get(path).status_code for path in paths}
    assert {path: status for path, status in failures.items() if status >= 500} == {}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "cache" in ready.json()["failed"]


def test_contact_form_accepts_a_submission_with_redis_down(client, redis_down, caplog):
    client.get("/kontakt/")
    response = client.post(
        "/kontakt/",
        {
            "name": "Erika Mustermann",
            "email": "erika@example.org",
            "message": "Eine Frage, während Redis fehlt.",
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    assert Inquiry.objects.filter(email="erika@example.org").exists()
    # The rate limit really met the dead cache and let the visitor through.
    assert "contact.rate_limit.cache_unavailable" in caplog.text
