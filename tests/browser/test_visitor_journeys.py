"""Visitor journeys in Chromium at phone and desktop width: what the visitor sees, no sideways
scroll, a screenshot of each step under var/screenshots/."""

import re
from pathlib import Path

import pytest
from django.core import mail

from contact import services as contact_services
from contact.models import Inquiry
from contact.tests.factories import make_event
from newsletter.compose import unsubscribe_url
from newsletter.models import Subscriber
from newsletter.tests import factories as newsletter_factories
from tests.browser.helpers import decline_optional_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = [390, 1280]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Each journey starts with no form POSTs counted against the browser's address."""
    from django.core.cache import caches

    caches["default"].clear()


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def page(request, chromium, live_server, settings):
    settings.HCAPTCHA_SITEKEY = settings.HCAPTCHA_SECRET = ""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = request.param
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5000)
    page.base = live_server.url
    page.width = width
    yield page
    context.close()


def _look(page, name: str) -> None:
    """Assert the page does not scroll sideways and keep a screenshot to look at."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.width}px"
    page.screenshot(path=SCREENSHOTS / f"journey-{name}-{page.width}.png", full_page=True)


def _heading(page) -> str:
    return page.locator("main h1").inner_text()


def _link(pattern: str, body: str) -> str:
    match = re.search(pattern, body)
    assert match, "no link in the mail"
    return match.group(0)


def test_support_request(page):
    page.goto(page.base + "/support/")
    decline_optional_cookies(page)
    page.fill("#id_name", "Max Muster")
    page.fill("#id_email", "max@example.org")
    page.select_option("#id_product", "win-finanz")
    page.fill("#id_subject", "Import bricht ab")
    page.fill("#id_message", "Beim Import der Kontoauszüge erscheint Fehler 42.")
    _look(page, "support-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    assert _heading(page) == "Vielen Dank"
    _look(page, "support-thanks")
    assert Inquiry.objects.get().subject == "Import bricht ab"


def test_training_registration_counts_down_the_seats(page):
    event = make_event(title="Einführung in Win-Finanz", seats=2)
    page.goto(page.base + "/schulungen/")
    decline_optional_cookies(page)
    assert "noch 2 Plätze frei" in page.locator("main").inner_text()
    _look(page, "training-list")
    page.get_by_role("link", name="Zur Anmeldung").click()
    assert "Einführung in Win-Finanz" in _heading(page)
    page.fill("#id_name", "Erika Mustermann")
    page.fill("#id_email", "erika@example.org")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    _look(page, "training-thanks")
    page.goto(page.base + "/schulungen/")
    assert "noch 1 Platz frei" in page.locator("main").inner_text()
    event.seats = 1
    event.save()
    page.goto(page.base + f"/schulungen/{event.slug}/anmeldung/")
    assert "Diese Schulung ist ausgebucht." in page.locator("main").inner_text()
    assert page.locator("main form").count() == 0
    _look(page, "training-full")


@pytest.mark.parametrize("decision", ["consent", "refusal"])
def test_pupil_with_guardian(page, decision):
    page.goto(page.base + "/kontakt/")
    decline_optional_cookies(page)
    page.check("#id_is_minor")
    assert "nur verschlüsselt" in page.locator("#id_guardian_email_helptext").inner_text()
    page.fill("#id_name", "Paula Schülerin")
    page.fill("#id_email", "paula@example.org")
    page.fill("#id_message", "Eine Frage für mein Referat über Spendenquittungen.")
    page.fill("#id_guardian_email", "mutter@example.org")
    _look(page, "pupil-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    assert "Paula" not in Inquiry.objects.get().name  # stored encrypted
    contact_services.inquiry_send_unsent_mails()  # the sweep, as the beat runs it
    (message,) = [m for m in mail.outbox if m.to == ["mutter@example.org"]]
    link = _link(r"http://\S+/anfrage/zustimmung/\S+/", message.body)
    page.goto(page.base + link.split("8000", 1)[-1] if "8000" in link else link)
    main = page.locator("main").inner_text()
    assert "Paula Schülerin" in main and "Spendenquittungen" in main
    _look(page, "pupil-guardian-page")
    if decision == "consent":
        page.get_by_role("button", name="Ich stimme zu").click()
        assert _heading(page) == "Vielen Dank für Ihre Zustimmung"
        assert Inquiry.objects.get().name == "Paula Schülerin"
    else:
        page.get_by_role("button", name="Ich stimme nicht zu, Anfrage löschen").click()
        assert _heading(page) == "Anfrage gelöscht"
        assert not Inquiry.objects.exists()
    _look(page, f"pupil-{decision}")


@pytest.mark.parametrize("way", ["link", "one-click"])
def test_newsletter_sign_up_confirmation_and_unsubscribe(page, way):
    newsletter_factories.consent_text("de")
    page.goto(page.base + "/newsletter/")
    decline_optional_cookies(page)
    page.fill("#id_email", "leser@example.org")
    page.check("#id_consent")
    _look(page, "newsletter-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/newsletter/angefragt/")
    _look(page, "newsletter-requested")
    (message,) = mail.outbox
    link = _link(r"https?://\S+/newsletter/bestaetigen/\S+/", message.body)
    page.goto(page.base + "/newsletter/" + link.split("/newsletter/", 1)[1])
    assert _heading(page) == "Anmeldung bestätigen"
    _look(page, "newsletter-confirm")
    page.get_by_role("button", name="Ja, Newsletter bestätigen").click()
    assert _heading(page) == "Anmeldung bestätigt"
    _look(page, "newsletter-confirmed")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "subscribed"

    url = unsubscribe_url(
        address_hash=subscriber.address_hash,
        scope="newsletter",
        base=page.base + "/newsletter/abmelden/TOKEN/",
    )
    if way == "link":
        page.goto(url)
        assert _heading(page) == "Newsletter abbestellen"
        page.get_by_role("button", name="Newsletter abbestellen").click()
        assert _heading(page) == "Abgemeldet"
        _look(page, "newsletter-unsubscribed")
    else:  # what a mail program sends (RFC 8058): a POST without cookies or CSRF token
        response = page.request.post(url, form={"List-Unsubscribe": "One-Click"})
        assert response.status == 200
    subscriber.refresh_from_db()
    assert subscriber.status != "subscribed"
