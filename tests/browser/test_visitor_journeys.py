"""Visitor journeys in Chromium at phone and desktop width, in German and English: what the
visitor sees (in the page's language only), no sideways scroll, a screenshot of each step under
var/screenshots/."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils.translation import trans_real

from consent.models import ConsentReceipt
from contact import services as contact_services
from contact.models import Inquiry
from contact.tests.factories import make_event
from newsletter.compose import unsubscribe_url
from newsletter.models import Subscriber
from newsletter.tests import factories as newsletter_factories
from tests.browser.helpers import decline_optional_cookies, pk_cookies, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = [390, 1280]
LOCALES = {"de": "de-DE", "en": "en-GB"}

# What the visitor reads, in each language; each entry is checked on the page it belongs to.
TEXT = {
    "de": {
        "necessary": "Nur notwendige",
        "accept": "Alle akzeptieren",
        "settings": "Einstellungen",
        "banner": "Cookies und Besucherstatistik",
        "statistics": "Statistik",
        "allow statistics": "Statistik erlauben",
        "save choice": "Auswahl speichern",
        "saved": "Ihre Cookie-Auswahl ist gespeichert.",
        "cookie settings": "Cookie-Einstellungen",
        "allowed statistics": "Erlaubt: Notwendig, Statistik.",
        "allowed necessary": "Erlaubt: Notwendig (nur notwendige Cookies).",
        "support": "Supportanfrage",
        "thanks": "Vielen Dank",
        "seats 2": "noch 2 Plätze frei",
        "seats 1": "noch 1 Platz frei",
        "register": "Zur Anmeldung",
        "fully booked": "Diese Schulung ist ausgebucht.",
        "pupil help": "nur verschlüsselt",
        "guardian mailed": "Erziehungsberechtigten eine E-Mail",
        "agree": "Ich stimme zu",
        "refuse": "Ich stimme nicht zu, Anfrage löschen",
        "agreed": "Vielen Dank für Ihre Zustimmung",
        "deleted": "Anfrage gelöscht",
        "confirm subscription": "Anmeldung bestätigen",
        "confirm button": "Ja, Newsletter bestätigen",
        "confirmed": "Anmeldung bestätigt",
        "unsubscribe": "Newsletter abbestellen",
        "unsubscribed": "Abgemeldet",
        "invalid email": "gültige E-Mail-Adresse",
        "date": r"\b\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}\b",
        "decided": r"^Entschieden am \d{1,2}\. \w+ \d{4}, \d{2}:\d{2} Uhr;",
    },
    "en": {
        "necessary": "Necessary only",
        "accept": "Accept all",
        "settings": "Settings",
        "banner": "Cookies and visitor statistics",
        "statistics": "Statistics",
        "allow statistics": "Allow Statistics",
        "save choice": "Save choice",
        "saved": "Your cookie choice has been saved.",
        "cookie settings": "Cookie settings",
        "allowed statistics": "Allowed: Necessary, Statistics.",
        "allowed necessary": "Allowed: Necessary (necessary cookies only).",
        "support": "Support request",
        "thanks": "Thank you",
        "seats 2": "2 seats left",
        "seats 1": "1 seat left",
        "register": "Register",
        "fully booked": "This training is fully booked.",
        "pupil help": "only in encrypted form",
        "guardian mailed": "We have sent your parent or guardian an e-mail",
        "agree": "I agree",
        "refuse": "I do not agree, delete the request",
        "agreed": "Thank you for your consent",
        "deleted": "Request deleted",
        "confirm subscription": "Confirm subscription",
        "confirm button": "Yes, confirm the newsletter",
        "confirmed": "Subscription confirmed",
        "unsubscribe": "Unsubscribe from the newsletter",
        "unsubscribed": "Unsubscribed",
        "invalid email": "valid email address",
        "date": r"\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}\b",
        "decided": r"^Decided on \d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2};",
    },
}
# Words a visitor reads as a whole (buttons, labels, headings, links, table heads).
READ_AS_A_WHOLE = (
    "main :is(button, label, legend, h1, h2, h3, th, a, summary), #consent-banner button"
)


def _foreign_texts(language: str) -> set[str]:
    """Texts of the site's catalogues that belong to the other language only: on an English
    page the German originals, on a German page their English translations (a word both
    languages use, such as "Name" or "Newsletter", is neither)."""
    catalog = vars(trans_real.translation("en"))["_catalog"]
    pairs = [
        (msgid.strip(), msgstr.strip())
        for msgid, msgstr in catalog.items()
        if isinstance(msgid, str) and "\x04" not in msgid and msgstr
    ]
    german, english = {msgid for msgid, _ in pairs}, {msgstr for _, msgstr in pairs}
    return german - english if language == "en" else english - german


FOREIGN = {language: _foreign_texts(language) for language in TEXT}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Each journey starts with no form POSTs counted against the browser's address."""
    from django.core.cache import caches

    caches["default"].clear()


@pytest.fixture(
    params=[(language, width) for language in TEXT for width in WIDTHS],
    ids=lambda view: f"{view[0]}-{view[1]}px",
)
def page(request, chromium, live_server, settings):
    settings.HCAPTCHA_SITEKEY = settings.HCAPTCHA_SECRET = ""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    language, width = request.param
    context = chromium.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(5000)
    page.base = live_server.url
    page.width = width
    page.language = language
    page.text = TEXT[language]
    page.site = live_server.url + ("" if language == "de" else "/en")
    yield page
    context.close()


def _look(page, name: str) -> None:
    """Assert the page does not scroll sideways and speaks only the page's language; keep a
    screenshot to look at."""
    assert page.evaluate("document.documentElement.lang") == page.language, page.url
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.width}px"
    shown = {text.strip() for text in page.locator(READ_AS_A_WHOLE).all_inner_texts()}
    foreign = shown & FOREIGN[page.language]
    assert not foreign, f"{page.url} ({page.language}) shows {sorted(foreign)}"
    page.screenshot(
        path=SCREENSHOTS / f"journey-{page.language}-{name}-{page.width}.png", full_page=True
    )


def _in_view(page, locator) -> bool:
    """Whether the element is wholly inside the window and not covered at its centre."""
    return locator.evaluate(
        """(el) => {
          const box = el.getBoundingClientRect();
          const inside = box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight
            && box.right <= window.innerWidth;
          const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
          return inside && (hit === el || el.contains(hit));
        }"""
    )


def _heading(page) -> str:
    return page.locator("main h1").inner_text()


def _link(pattern: str, body: str) -> str:
    """The path (with the language prefix) of the first link in a mail matching ``pattern``."""
    match = re.search(pattern, body)
    assert match, "no link in the mail"
    return urlsplit(match.group(0)).path


def _decline(page) -> None:
    decline_optional_cookies(page, page.text["necessary"])


def test_support_request(page):
    page.goto(page.site + "/support/")
    _decline(page)
    assert _heading(page) == page.text["support"]
    page.fill("#id_name", "Max Muster")
    page.fill("#id_email", "max@example.org")
    page.select_option("#id_product", "win-finanz")
    page.fill("#id_subject", "Import bricht ab")
    page.fill("#id_message", "Beim Import der Kontoauszüge erscheint Fehler 42.")
    _look(page, "support-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    assert _heading(page) == page.text["thanks"]
    _look(page, "support-thanks")
    assert Inquiry.objects.get().subject == "Import bricht ab"


def test_contact_request_keeps_what_was_typed_when_an_address_is_wrong(page):
    page.goto(page.site + "/kontakt/")
    _decline(page)
    page.fill("#id_name", "Erika Beispiel")
    page.fill("#id_email", "erika-at-example.org")
    page.fill("#id_organisation", "Kirchengemeinde Musterstadt")
    page.fill("#id_phone", "+49 231 123456")
    page.fill("#id_message", "Wir möchten unsere Buchhaltung umstellen. Wer berät uns?")
    page.click("main button[type=submit]")
    error = page.locator("#field-email .errorlist")
    assert page.text["invalid email"] in error.inner_text()
    assert page.input_value("#id_message").startswith("Wir möchten unsere Buchhaltung")
    assert page.input_value("#id_organisation") == "Kirchengemeinde Musterstadt"
    assert not Inquiry.objects.exists()
    _look(page, "contact-error")
    page.fill("#id_email", "erika@example.org")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    assert _heading(page) == page.text["thanks"]
    _look(page, "contact-thanks")
    inquiry = Inquiry.objects.get()
    assert (inquiry.email, inquiry.organisation) == (
        "erika@example.org",
        "Kirchengemeinde Musterstadt",
    )


def test_training_registration_counts_down_the_seats(page):
    event = make_event(title="Einführung in Win-Finanz", seats=2)
    page.goto(page.site + "/schulungen/")
    _decline(page)
    listing = page.locator("main").inner_text()
    assert page.text["seats 2"] in listing
    assert re.search(page.text["date"], listing), listing  # dates as the language writes them
    _look(page, "training-list")
    page.get_by_role("link", name=page.text["register"]).click()
    assert "Einführung in Win-Finanz" in _heading(page)
    page.fill("#id_name", "Erika Mustermann")
    page.fill("#id_email", "erika@example.org")
    _look(page, "training-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    _look(page, "training-thanks")
    page.goto(page.site + "/schulungen/")
    assert page.text["seats 1"] in page.locator("main").inner_text()
    event.seats = 1
    event.save()
    page.goto(page.site + f"/schulungen/{event.slug}/anmeldung/")
    assert page.text["fully booked"] in page.locator("main").inner_text()
    assert page.locator("main form").count() == 0
    _look(page, "training-full")


@pytest.mark.parametrize("decision", ["consent", "refusal"])
def test_pupil_with_guardian(page, decision):
    page.goto(page.site + "/kontakt/")
    _decline(page)
    page.check("#id_is_minor")
    assert page.text["pupil help"] in page.locator("#id_guardian_email_helptext").inner_text()
    page.fill("#id_name", "Paula Schülerin")
    page.fill("#id_email", "paula@example.org")
    page.fill("#id_message", "Eine Frage für mein Referat über Spendenquittungen.")
    page.fill("#id_guardian_email", "mutter@example.org")
    _look(page, "pupil-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    assert page.text["guardian mailed"] in page.locator("main").inner_text()
    assert "Paula" not in Inquiry.objects.get().name  # stored encrypted
    contact_services.inquiry_send_unsent_mails()  # the sweep, as the beat runs it
    (message,) = [m for m in mail.outbox if m.to == ["mutter@example.org"]]
    page.goto(page.base + _link(r"https?://\S+/anfrage/zustimmung/\S+/", message.body))
    main = page.locator("main").inner_text()
    assert "Paula Schülerin" in main and "Spendenquittungen" in main
    _look(page, "pupil-guardian-page")
    if decision == "consent":
        page.get_by_role("button", name=page.text["agree"], exact=True).click()
        assert _heading(page) == page.text["agreed"]
        assert Inquiry.objects.get().name == "Paula Schülerin"
    else:
        page.get_by_role("button", name=page.text["refuse"]).click()
        assert _heading(page) == page.text["deleted"]
        assert not Inquiry.objects.exists()
    _look(page, f"pupil-{decision}")


@pytest.mark.parametrize("way", ["link", "one-click"])
def test_newsletter_sign_up_confirmation_and_unsubscribe(page, way):
    newsletter_factories.consent_text(page.language)
    page.goto(page.site + "/newsletter/")
    _decline(page)
    page.fill("#id_email", "leser@example.org")
    page.check("#id_consent")
    _look(page, "newsletter-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/newsletter/angefragt/")
    _look(page, "newsletter-requested")
    (message,) = mail.outbox
    page.goto(page.base + _link(r"https?://\S+/newsletter/bestaetigen/\S+/", message.body))
    assert _heading(page) == page.text["confirm subscription"]
    _look(page, "newsletter-confirm")
    page.get_by_role("button", name=page.text["confirm button"]).click()
    assert _heading(page) == page.text["confirmed"]
    _look(page, "newsletter-confirmed")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "subscribed"

    url = unsubscribe_url(
        address_hash=subscriber.address_hash,
        scope="newsletter",
        base=page.site + "/newsletter/abmelden/TOKEN/",
    )
    if way == "link":
        page.goto(url)
        assert _heading(page) == page.text["unsubscribe"]
        page.get_by_role("button", name=page.text["unsubscribe"]).click()
        assert _heading(page) == page.text["unsubscribed"]
        _look(page, "newsletter-unsubscribed")
    else:  # what a mail program sends (RFC 8058): a POST without cookies or CSRF token
        response = page.request.post(url, form={"List-Unsubscribe": "One-Click"})
        assert response.status == 200
    subscriber.refresh_from_db()
    assert subscriber.status != "subscribed"


@pytest.mark.parametrize("decision", ["accept", "reject", "settings"])
def test_consent_decision_then_withdrawal_on_the_settings_page(page, matomo, decision):
    """Decide in the banner, see the statistics run (or not), then withdraw on the cookie
    settings page: the Matomo cookies are gone and the page says only necessary cookies."""
    text = page.text
    page.goto(page.site + "/", wait_until="networkidle")
    banner = page.get_by_role("dialog", name=text["banner"])
    assert banner.is_visible()
    _look(page, "consent-banner")
    if decision == "settings":
        banner.get_by_role("button", name=text["settings"]).click()
        switch = banner.get_by_role("switch", name=text["statistics"])
        switch.check()
        # All three choices stay in view, however tall the dialog has grown.
        for label in (text["accept"], text["necessary"], text["settings"]):
            assert _in_view(page, banner.get_by_role("button", name=label)), label
        _look(page, "consent-banner-settings")
        banner.get_by_role("button", name=text["save choice"]).click()
    else:
        label = text["accept"] if decision == "accept" else text["necessary"]
        banner.get_by_role("button", name=label).click()
    page.get_by_role("status").filter(has_text=text["saved"]).wait_for()
    assert page.locator("#consent-banner").count() == 0
    allowed = decision != "reject"
    assert ConsentReceipt.objects.get().categories == (["statistics"] if allowed else [])
    page.goto(page.site + "/impressum/", wait_until="networkidle")
    assert page.locator("#consent-banner").count() == 0
    if allowed:
        assert wait_for(lambda: len(pk_cookies(page)) == 2)
    else:
        assert pk_cookies(page) == set() and matomo.received == []

    page.get_by_role("contentinfo").get_by_role("link", name=text["cookie settings"]).click()
    page.wait_for_url("**/cookies/")
    switch = page.get_by_role("switch", name=text["allow statistics"])
    state = page.locator("[data-consent-current]")
    assert switch.is_checked() is allowed
    assert state.inner_text() == text["allowed statistics" if allowed else "allowed necessary"]
    decided = page.locator("section.consent-current p").nth(1).inner_text()
    assert re.search(text["decided"], decided), decided
    _look(page, f"consent-settings-page-{decision}")
    page.locator("form.consent-settings").get_by_role("button", name=text["necessary"]).click()
    page.wait_for_load_state("networkidle")
    assert pk_cookies(page) == set()
    assert not page.get_by_role("switch", name=text["allow statistics"]).is_checked()
    assert page.locator("[data-consent-current]").inner_text() == text["allowed necessary"]
    assert page.locator("#consent-banner").count() == 0
    _look(page, f"consent-withdrawn-{decision}")
    hits = len(matomo.received)
    page.goto(page.site + "/", wait_until="networkidle")
    assert page.locator("#consent-banner").count() == 0  # the withdrawal is a decision too
    assert len(matomo.received) == hits and pk_cookies(page) == set()
