import pytest
from django.test import Client

from consent.models import ConsentAction, ConsentReceipt
from consent.privacy import CONSENT_COOKIE
from consent.texts import texts_hash
from privacy.registry import LegalBasis, registry

from .factories import banner_shown, decide

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/datenschutz/", "/impressum/", "/gibt-es-nicht/"])
def test_first_visit_shows_the_banner_on_every_page(client, url):
    response = client.get(url)
    assert banner_shown(response)
    html = response.content.decode()
    for label in ("Alle akzeptieren", "Nur notwendige", "Einstellungen"):
        assert label in html
    assert CONSENT_COOKIE not in response.cookies


def test_banner_names_every_purpose_and_cookie_on_its_first_layer(client):
    html = client.get("/").content.decode()
    assert "Statistik" in html and "Matomo" in html
    for cookie in registry.cookies_in("statistics"):
        assert f"<code>{cookie.name}</code>" in html


def test_the_three_buttons_are_equally_weighted(client):
    html = client.get("/").content.decode()
    buttons = html.split('<div class="consent-buttons">')[1].split("</div>")[0]
    assert buttons.count('<button type="submit" name="action"') == 3
    assert "class=" not in buttons  # no button is styled apart from the others


def test_footer_links_to_cookie_settings(client):
    html = client.get("/impressum/").content.decode()
    assert '<a href="/cookies/">Cookie-Einstellungen</a>' in html


def test_accept_all_without_javascript_redirects_back_and_stores_a_receipt(client):
    response = client.post("/cookies/", {"action": "all", "next": "/impressum/?x=1"})
    assert response.status_code == 303
    assert response["Location"] == "/impressum/?x=1"
    morsel = response.cookies[CONSENT_COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "Lax"
    receipt = ConsentReceipt.objects.get()
    assert receipt.action == ConsentAction.ACCEPT_ALL
    assert receipt.categories == ["statistics"]
    assert receipt.texts_hash == texts_hash("de")
    assert receipt.consent_id.hex in morsel.value
    assert not banner_shown(client.get("/impressum/"))


def test_receipt_holds_no_ip_address_and_no_user_agent(client):
    client.post(
        "/cookies/",
        {"action": "necessary"},
        REMOTE_ADDR="203.0.113.77",
        headers={"User-Agent": "Mozilla/5.0 Tracer-UA-1234"},
    )
    fields = {f.name for f in ConsentReceipt._meta.get_fields()}
    assert not fields & {"ip", "ip_address", "user_agent", "remote_addr"}
    values = str(list(ConsentReceipt.objects.values()))
    assert "203.0.113" not in values and "Tracer-UA" not in values


def test_necessary_only_allows_no_optional_category(client):
    decide(client, "necessary")
    receipt = ConsentReceipt.objects.get()
    assert receipt.categories == [] and receipt.action == ConsentAction.NECESSARY_ONLY
    assert not banner_shown(client.get("/"))


def test_custom_choice_keeps_only_known_categories(client):
    response = client.post("/cookies/", {"action": "custom", "categories": ["statistics"]})
    assert response.status_code == 303
    assert ConsentReceipt.objects.get().categories == ["statistics"]


def test_unknown_category_is_refused_with_a_german_message_and_nothing_stored(client):
    response = client.post("/cookies/", {"action": "custom", "categories": ["werbung"]})
    assert response.status_code == 400
    assert "Die Kategorie „werbung“ gibt es nicht." in response.content.decode()
    assert not ConsentReceipt.objects.exists()
    assert CONSENT_COOKIE not in response.cookies


def test_unknown_action_is_refused_with_a_german_message(client):
    response = client.post("/cookies/", {"action": "alles"})
    assert response.status_code == 400
    assert "Diese Entscheidung kennen wir nicht" in response.content.decode()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_next_must_stay_on_this_site(client, next_url):
    response = client.post("/cookies/", {"action": "necessary", "next": next_url})
    assert response.status_code == 303
    assert response["Location"] == "/cookies/"


def test_settings_button_without_javascript_opens_the_settings_page(client):
    response = client.post("/cookies/", {"action": "settings", "next": "/impressum/"})
    assert response.status_code == 303
    assert response["Location"] == "/cookies/?next=%2Fimpressum%2F"
    assert not ConsentReceipt.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/impressum/"' in page


def test_json_decision_for_the_script(client):
    response = client.post("/cookies/", {"action": "all"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["categories"] == ["statistics"]
    assert CONSENT_COOKIE in response.cookies


def test_settings_page_lists_every_registry_cookie(client):
    html = client.get("/cookies/").content.decode()
    for cookie in registry.cookies.values():
        assert f"<code>{cookie.name}</code>" in html
        assert str(cookie.provider) in html
        assert str(cookie.purpose) in html
        assert cookie.lifetime_display in html
        assert str(LegalBasis(cookie.legal_basis).label) in html
    assert 'name="categories" value="statistics"' in html
    assert "Sie haben noch nicht entschieden" in html


def test_settings_page_shows_the_current_choice_its_date_and_id(client):
    decide(client, "all")
    receipt = ConsentReceipt.objects.get()
    html = client.get("/cookies/").content.decode()
    assert "Erlaubt: Notwendig, Statistik." in html
    assert str(receipt.consent_id) in html
    assert "Entschieden am" in html
    assert 'value="statistics" checked' in html


def test_consent_id_stays_with_the_browser_across_decisions(client):
    decide(client, "all")
    decide(client, "necessary")
    ids = set(ConsentReceipt.objects.values_list("consent_id", flat=True))
    assert len(ids) == 1
    assert ConsentReceipt.objects.count() == 2


def test_withdrawal_expires_every_matomo_cookie_the_browser_sent(client):
    decide(client, "all")
    client.cookies["_pk_id.1.a1b2"] = "abc.1700000000"
    client.cookies["_pk_ses.1.a1b2"] = "1"
    client.cookies["_pk_id.7.ffff"] = "def.1700000000"
    client.cookies["csrftoken"] = "x" * 32
    response = client.post("/cookies/", {"action": "necessary", "next": "/"})
    for name in ("_pk_id.1.a1b2", "_pk_ses.1.a1b2", "_pk_id.7.ffff"):
        assert response.cookies[name]["max-age"] == 0, name
        assert response.cookies[name].value == ""
    assert "csrftoken" not in response.cookies


def test_english_banner_and_settings(client):
    html = client.get("/en/").content.decode()
    assert 'action="/en/cookies/"' in html
    assert "Accept all" in html and "Necessary only" in html and "Settings" in html
    response = client.post("/en/cookies/", {"action": "all", "next": "/en/"})
    assert response["Location"] == "/en/"
    assert ConsentReceipt.objects.get().language == "en"
    assert ConsentReceipt.objects.get().texts_hash == texts_hash("en") != texts_hash("de")


def test_tampered_cookie_counts_as_no_decision(client):
    value = decide(client, "necessary")
    client.cookies[CONSENT_COOKIE] = value.replace("||", "|statistics|", 1)
    response = client.get("/")
    assert banner_shown(response)


def test_banner_returns_to_the_page_it_was_shown_on_escaped(client):
    html = client.get("/impressum/", {"q": '"><script>'}).content.decode()
    assert 'name="next" value="/impressum/?q=%22%3E%3Cscript%3E"' in html
    assert 'name="next" value="/"' in client.get("/").content.decode()


def test_first_visit_sets_no_cookie_at_all(client):
    response = client.get("/")
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://evil.example/page"},
        {},
    ],
)
def test_a_decision_sent_from_another_site_is_refused(headers):
    response = Client(headers=headers).post("/cookies/", {"action": "all", "next": "/"})
    assert response.status_code == 403
    assert "kam nicht von einer Seite dieser Website" in response.content.decode()
    assert CONSENT_COOKIE not in response.cookies
    assert not ConsentReceipt.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://testserver/impressum/"},
    ],
)
def test_a_decision_from_this_site_is_accepted(headers):
    response = Client(headers=headers).post("/cookies/", {"action": "all", "next": "/"})
    assert response.status_code == 303
    assert ConsentReceipt.objects.count() == 1
