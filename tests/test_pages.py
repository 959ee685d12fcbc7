"""Home, policy and imprint in German and English: status, language, CSP, no third-party host."""

import re

import pytest

from privacy.registry import registry
from privacy.services import policy_publish

PAGES = ["/", "/datenschutz/", "/impressum/"]
RESOURCE = re.compile(r'<(?:script|img|iframe)[^>]+src="([^"]+)"|<link[^>]+href="([^"]+)"')


@pytest.fixture
def published(db):
    return policy_publish(summary="Erste Fassung")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("prefix", "lang"), [("", "de"), ("/en", "en")])
def test_page_serves_in_both_languages_with_csp_and_only_own_resources(
    client, published, path, prefix, lang
):
    response = client.get(prefix + path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    for match in RESOURCE.finditer(html):
        url = match.group(1) or match.group(2)
        assert url.startswith("/") and not url.startswith("//"), url


def test_policy_renders_the_registry_and_the_version(client, published):
    html = client.get("/datenschutz/").content.decode()
    assert f"Version {published.number}, aktualisiert am" in html
    for activity in registry.activities.values():
        assert str(activity.name) in html
    for cookie in registry.cookies.values():
        assert f"<code>{cookie.name}</code>" in html
    assert "Wir speichern keine IP-Adressen" in html
    assert "seit der Veröffentlichung geändert" not in html


@pytest.mark.parametrize("path", ["/datenschutz/", "/en/datenschutz/"])
def test_the_policy_keeps_internal_details_for_staff(client, published, path):
    # The record's checksum and whether it changed since publication are in the staff record.
    published.registry_hash = "0" * 64
    published.save()
    html = client.get(path).content.decode()
    assert registry.content_hash()[:16] not in html
    for internal in (
        "Prüfsumme des Verarbeitungsverzeichnisses",
        "Checksum of the record",
        "seit der Veröffentlichung",
        "since publication",
    ):
        assert internal not in html


def test_english_policy_is_translated(client, published):
    html = client.get("/en/datenschutz/").content.decode()
    assert "Privacy policy" in html
    assert "We do not store IP addresses" in html
    assert "Provision of the website" in html  # an activity name from the registry, translated


def test_imprint_names_controller_and_dpo(client, settings):
    html = client.get("/impressum/").content.decode()
    assert settings.CONTROLLER["street"] in html
    assert settings.DPO["email"] in html


def test_unknown_page_is_a_german_404(client, db):
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


@pytest.mark.django_db
def test_imprint_shows_the_ddg_data_or_says_it_is_not_configured(client, settings):
    settings.CONTROLLER = {
        **settings.CONTROLLER,
        "managing_directors": "",
        "register": "",
        "vat_id": "",
    }
    page = client.get("/impressum/").content.decode()
    assert page.count("nicht konfiguriert") == 3
    english = client.get("/en/impressum/").content.decode()
    assert english.count("not configured") == 3
    settings.CONTROLLER = {
        **settings.CONTROLLER,
        "managing_directors": "Erika Beispiel",
        "register": "Amtsgericht Alt, HRB 1",
        "register_court": "Amtsgericht Dortmund",
        "register_number": "HRB 12345",
        "vat_id": "DE123456789",
    }
    page = client.get("/impressum/").content.decode()
    assert "nicht konfiguriert" not in page
    assert "Erika Beispiel" in page and "DE123456789" in page
    assert "Amtsgericht Dortmund, HRB 12345" in page and "Amtsgericht Alt" not in page
    settings.CONTROLLER = {**settings.CONTROLLER, "register_court": "", "register_number": ""}
    assert "Amtsgericht Alt, HRB 1" in client.get("/impressum/").content.decode()
