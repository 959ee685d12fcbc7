"""The policy page's text is rendered once per version, language and registry content, and a
cached page is the same page: same bytes, the visitor's own banner state and a fresh nonce."""

import re
from dataclasses import replace

import pytest
from django.test import Client

from privacy import pagecache
from privacy.registry import registry
from privacy.services import policy_publish

pytestmark = pytest.mark.django_db

NONCE = re.compile(r'nonce="([^"]+)"')


@pytest.fixture(autouse=True)
def _empty_store():
    pagecache.bodies.clear()
    yield
    pagecache.bodies.clear()


@pytest.fixture
def renders(monkeypatch):
    """The policy texts rendered (not taken from the store), by key."""
    keys = []
    put = pagecache.bodies.put

    def counting(key, body):
        keys.append(key)
        put(key, body)

    monkeypatch.setattr(pagecache.bodies, "put", counting)
    return keys


@pytest.fixture
def published(db):
    return policy_publish(summary="Erste Fassung")


@pytest.fixture
def client():
    return Client(headers={"Origin": "http://testserver"})


@pytest.fixture
def matomo(settings):
    settings.MATOMO_URL, settings.MATOMO_SITE_ID = "https://statistik.example.org/", "4"


def decide(client: Client, action: str) -> None:
    assert client.post("/cookies/", {"action": action, "next": "/"}).status_code == 303


@pytest.mark.parametrize("path", ["/datenschutz/", "/en/datenschutz/"])
def test_a_cached_policy_page_is_byte_identical_to_the_rendered_one(client, published, path):
    rendered = client.get(path)
    cached = client.get(path)
    assert rendered.status_code == cached.status_code == 200
    assert cached.content == rendered.content
    assert str(published.number) in cached.content.decode()


def test_uncached_and_cached_pages_agree_with_the_store_switched_off(
    client, published, monkeypatch
):
    cached_first = client.get("/datenschutz/").content
    monkeypatch.setattr(pagecache.bodies, "get", lambda key: None)
    assert client.get("/datenschutz/").content == cached_first


def test_rendered_once_per_version_and_language_whatever_the_consent_state(
    client, published, renders, matomo
):
    for path in ("/datenschutz/", "/en/datenschutz/"):
        first_visit = client.get(path)
        assert b'id="consent-banner"' in first_visit.content
    decide(client, "all")
    for path in ("/datenschutz/", "/en/datenschutz/"):
        decided = client.get(path)
        assert b'id="consent-banner"' not in decided.content
        assert b"statistik.example.org" in decided.content
    decide(client, "necessary")
    assert b"statistik.example.org" not in client.get("/datenschutz/").content
    assert [key[1] for key in renders] == ["de", "en"]


def test_the_nonce_is_fresh_on_every_response_and_never_in_the_stored_text(
    client, published, matomo
):
    decide(client, "all")
    pages = [client.get("/datenschutz/") for _ in range(2)]
    nonces = []
    for page in pages:
        html = page.content.decode()
        found = set(NONCE.findall(html))
        assert len(found) == 1, found
        nonce = found.pop()
        assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert pages[1].content.decode().replace(nonces[1], nonces[0]) == pages[0].content.decode()
    stored = [pagecache.bodies.get(key) for key in list(pagecache.bodies._bodies)]
    assert stored and all("nonce" not in body and "<script" not in body for body in stored)


def test_the_banner_returns_to_the_page_the_visitor_is_on(client, published):
    client.get("/datenschutz/")
    html = client.get("/datenschutz/?von=banner").content.decode()
    assert 'name="next" value="/datenschutz/?von=banner"' in html


def test_a_new_version_shows_at_once(client, published):
    assert f"Version {published.number}," in client.get("/datenschutz/").content.decode()
    newer = policy_publish(summary="Zweite Fassung")
    assert f"Version {newer.number}," in client.get("/datenschutz/").content.decode()


def test_a_changed_registry_shows_at_once(client, published, monkeypatch):
    client.get("/datenschutz/")
    cookie = registry.cookies["csrftoken"]
    monkeypatch.setitem(registry.cookies, "csrftoken", replace(cookie, provider="Geändert GmbH"))
    html = client.get("/datenschutz/").content.decode()
    assert "Geändert GmbH" in html


def test_a_changed_setting_shows_at_once(client, published, settings):
    client.get("/datenschutz/")
    settings.DPO = {**settings.DPO, "email": "neu@datenschutz.example.org"}
    assert "neu@datenschutz.example.org" in client.get("/datenschutz/").content.decode()
