import pytest
from django.http import HttpResponse, JsonResponse
from django.urls import path

from consent.privacy import CONSENT_COOKIE

from .factories import decide

pytestmark = pytest.mark.django_db


def _plain(request):
    return HttpResponse("ok", content_type="text/plain")


def _json(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("plain/", _plain), path("data.json", _json)]


def test_reading_consent_costs_no_database_query(client, django_assert_num_queries, settings):
    settings.MATOMO_URL, settings.MATOMO_SITE_ID = "http://127.0.0.1:9/", "1"
    decide(client, "all")
    client.get("/")  # the published policy version is read once per process and minute
    with django_assert_num_queries(0):
        response = client.get("/")
    assert "matomo.js" in response.content.decode()
    with django_assert_num_queries(0):
        client.get("/impressum/")


@pytest.mark.urls("consent.tests.test_middleware")
@pytest.mark.parametrize("url", ["/plain/", "/data.json"])
def test_responses_that_are_not_html_are_left_alone(
    client, settings, django_assert_num_queries, url
):
    settings.MATOMO_URL, settings.MATOMO_SITE_ID = "http://127.0.0.1:9/", "1"
    client.cookies["_pk_id.1.abcd"] = "x"
    client.cookies[CONSENT_COOKIE] = "forged-or-old"
    with django_assert_num_queries(0):  # not even the policy version is looked up
        response = client.get(url)
    assert "_pk_id.1.abcd" not in response.cookies
    assert "127.0.0.1:9" not in response["Content-Security-Policy"]
    assert "Sec-GPC" not in response.get("Vary", "")


def test_html_pages_expire_matomo_cookies_without_consent(client):
    client.cookies["_pk_id.1.abcd"] = "x"
    client.cookies["_pk_ses.1.abcd"] = "1"
    client.cookies["_pk_ref.1.abcd"] = "r"
    response = client.get("/impressum/")
    for name in ("_pk_id.1.abcd", "_pk_ses.1.abcd", "_pk_ref.1.abcd"):
        assert response.cookies[name]["max-age"] == 0


def test_html_pages_keep_matomo_cookies_with_consent(client):
    decide(client, "all")
    client.cookies["_pk_id.1.abcd"] = "x"
    assert "_pk_id.1.abcd" not in client.get("/impressum/").cookies


def test_html_pages_tell_caches_they_vary_with_consent_and_gpc(client):
    vary = client.get("/impressum/")["Vary"]
    assert "Cookie" in vary and "Sec-GPC" in vary


def test_unknown_cookies_are_not_touched(client):
    client.cookies["something_else"] = "1"
    assert "something_else" not in client.get("/").cookies
