"""The request forms in a real browser: the pupil question, hCaptcha only on form pages, CSP."""

import pytest

from contact.models import Inquiry
from tests.browser.helpers import decline_optional_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium, live_server, settings):
    settings.HCAPTCHA_SITEKEY, settings.HCAPTCHA_SECRET = "site-key", "secret"
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    page.requests = []
    page.csp_errors = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            page.csp_errors.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    # No internet in tests: hCaptcha's script is answered locally with an empty script.
    context.route(
        "https://*.hcaptcha.com/**",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )
    page.base = live_server.url
    yield page
    context.close()


def test_hcaptcha_is_requested_on_the_form_page_only_after_interaction(page):
    page.goto(page.base + "/")
    assert not [url for url in page.requests if "hcaptcha" in url]
    page.goto(page.base + "/kontakt/", wait_until="networkidle")
    assert not [url for url in page.requests if "hcaptcha" in url]  # nothing before interaction
    decline_optional_cookies(page)
    page.wait_for_timeout(300)
    assert not [url for url in page.requests if "hcaptcha" in url]  # deciding is no interaction
    page.locator("form:has(.h-captcha) input[type=email]").first.click()
    page.wait_for_function(
        "[...document.scripts].some(s => s.src.includes('hcaptcha'))", timeout=5000
    )
    page.wait_for_load_state("networkidle")
    assert [url for url in page.requests if url.startswith("https://js.hcaptcha.com/1/api.js")]
    foreign = [
        url for url in page.requests if not url.startswith((page.base, "https://js.hcaptcha"))
    ]
    assert foreign == []
    assert page.csp_errors == []


def test_the_guardian_field_appears_when_the_pupil_box_is_ticked(page, settings):
    settings.HCAPTCHA_SITEKEY = settings.HCAPTCHA_SECRET = ""
    page.goto(page.base + "/kontakt/")
    decline_optional_cookies(page)
    guardian = page.locator("#id_guardian_email")
    assert not guardian.is_visible()
    page.check("#id_is_minor")
    assert guardian.is_visible()
    page.fill("#id_name", "Schülerin")
    page.fill("#id_email", "kind@example.org")
    page.fill("#id_message", "Eine Frage für mein Referat.")
    page.fill("#id_guardian_email", "mutter@example.org")
    page.click("main button[type=submit]")
    page.wait_for_url("**/anfrage/danke/**")
    assert "Erziehungsberechtigten eine E-Mail" in page.content()
    assert Inquiry.objects.get().awaits_guardian
    assert page.csp_errors == []
