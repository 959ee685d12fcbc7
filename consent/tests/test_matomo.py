import re

import pytest

from consent.matomo import matomo_config
from optigem_site.settings.env import csp_with_origin
from privacy.registry import CookieCategory, LegalBasis, Period, registry

from .factories import decide

pytestmark = pytest.mark.django_db

MATOMO = "https://statistik.example.org/matomo/"


@pytest.fixture
def matomo(settings):
    settings.MATOMO_URL, settings.MATOMO_SITE_ID = MATOMO, "4"
    # As the settings module builds it from MATOMO_URL at start-up.
    settings.SECURE_CSP = csp_with_origin(settings.SECURE_CSP, MATOMO)


def test_no_snippet_and_no_matomo_host_before_consent(client, matomo):
    response = client.get("/")
    html = response.content.decode()
    assert "statistik.example.org" not in html
    # The origin in the CSP admits nothing: only a script with the response's nonce runs.
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "matomo.js" not in html and "_paq" not in html


def test_no_snippet_after_rejection(client, matomo):
    decide(client, "necessary")
    response = client.get("/")
    assert "statistik.example.org" not in response.content.decode()
    assert "_paq" not in response.content.decode()


def test_snippet_after_consent_with_the_nonce_of_the_csp(client, matomo):
    decide(client, "all")
    response = client.get("/")
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    nonce = re.search(r'<script nonce="([^"]+)">', html).group(1)
    assert f"'nonce-{nonce}'" in csp
    assert '_paq.push(["setSiteId", "4"]);' in html
    assert f'"{MATOMO}matomo.js"' in html and f'"{MATOMO}matomo.php"' in html
    for directive in ("script-src", "connect-src", "img-src"):
        value = next(part for part in csp.split(";") if part.strip().startswith(directive))
        assert "https://statistik.example.org" in value, directive
    assert "default-src 'self';" in csp  # nothing else is loosened


def test_cookie_lifetimes_in_the_snippet_come_from_the_registry(client, matomo):
    decide(client, "all")
    html = client.get("/").content.decode()
    assert '_paq.push(["setVisitorCookieTimeout", 2592000]);' in html
    assert '_paq.push(["setSessionCookieTimeout", 1800]);' in html
    config = matomo_config()
    assert (
        config.visitor_timeout
        == registry.cookies["_pk_id.*"].lifetime.approximate().total_seconds()
    )


def test_matomo_cookies_are_declared_as_the_policy_says():
    for name, lifetime in (("_pk_id.*", Period(months=1)), ("_pk_ses.*", Period(minutes=30))):
        cookie = registry.cookies[name]
        assert cookie.lifetime == lifetime
        assert cookie.category == CookieCategory.STATISTICS
        assert cookie.legal_basis == LegalBasis.TDDDG_CONSENT
    assert registry.cookie_for("_pk_id.1.0a1b2c") is registry.cookies["_pk_id.*"]


def test_without_matomo_url_statistics_stay_off_even_with_consent(client, settings):
    settings.MATOMO_URL = ""
    decide(client, "all")
    response = client.get("/")
    assert "_paq" not in response.content.decode()
