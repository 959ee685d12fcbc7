from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.utils import timezone

from consent.models import ConsentReceipt
from consent.privacy import CONSENT_COOKIE
from consent.services import consent_cookie_set, consent_give
from privacy.models import PolicyVersion
from privacy.services import policy_publish

from .factories import banner_shown, decide

pytestmark = pytest.mark.django_db


def test_a_new_version_with_changed_cookies_asks_again(client):
    policy_publish(summary="Erste Fassung")
    decide(client, "all")
    assert not banner_shown(client.get("/"))
    PolicyVersion.objects.create(
        number=2,
        changed_on=timezone.localdate(),
        summary="Neues Cookie",
        registry_hash="r" * 64,
        consent_hash="c" * 64,
        published_at=timezone.now(),
    )
    response = client.get("/")
    assert banner_shown(response)
    assert b'nonce="' not in response.content  # statistics no longer allowed: no Matomo
    page = client.get("/cookies/").content.decode()
    assert "gilt nicht mehr" in page


def test_a_new_version_with_the_same_cookies_does_not_ask_again(client):
    policy_publish(summary="Erste Fassung")
    decide(client, "necessary")
    policy_publish(summary="Nur Tippfehler im Impressum")
    assert not banner_shown(client.get("/"))


def test_receipt_records_the_policy_version_it_was_given_under(client):
    version = policy_publish(summary="Erste Fassung")
    decide(client, "all")
    receipt = ConsentReceipt.objects.get()
    assert receipt.policy_version == version.number
    assert receipt.consent_hash == version.consent_hash


def test_after_twelve_months_the_visitor_is_asked_again(client):
    almost = timezone.now() - timedelta(days=364)
    too_old = timezone.now() - timedelta(days=367)
    for given_at, shown in ((almost, False), (too_old, True)):
        receipt = consent_give(categories={"statistics"}, action="all", language="de", now=given_at)
        carrier = HttpResponse()
        consent_cookie_set(carrier, receipt)
        client.cookies[CONSENT_COOKIE] = carrier.cookies[CONSENT_COOKIE].value
        assert banner_shown(client.get("/")) is shown


def test_the_consent_cookie_ends_when_consent_does(client):
    response = client.post("/cookies/", {"action": "all"})
    morsel = response.cookies[CONSENT_COOKIE]
    assert morsel["max-age"] == 365 * 24 * 3600


def test_global_privacy_control_rejects_optional_categories_and_the_banner_says_so(
    client, settings
):
    settings.MATOMO_URL, settings.MATOMO_SITE_ID = "http://127.0.0.1:9/", "1"
    response = client.get("/", headers={"Sec-GPC": "1"})
    html = response.content.decode()
    assert banner_shown(response)
    assert "Global Privacy Control" in html
    assert "matomo.js" not in html
    client.cookies["_pk_id.1.abcd"] = "x"
    response = client.get("/", headers={"Sec-GPC": "1"})
    assert response.cookies["_pk_id.1.abcd"]["max-age"] == 0


def test_an_explicit_decision_overrides_global_privacy_control(client, settings):
    settings.MATOMO_URL, settings.MATOMO_SITE_ID = "http://127.0.0.1:9/", "1"
    decide(client, "all")
    response = client.get("/", headers={"Sec-GPC": "1"})
    assert not banner_shown(response)
    assert "matomo.js" in response.content.decode()


def test_without_gpc_the_banner_has_no_gpc_note(client):
    assert "Global Privacy Control" not in client.get("/").content.decode()
