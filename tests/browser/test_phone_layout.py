"""No public page scrolls sideways on a phone, and the banner's three buttons are fully visible."""

from pathlib import Path

import pytest

from privacy.services import policy_publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PATHS = [
    "/",
    "/datenschutz/",
    "/impressum/",
    "/cookies/",
    "/kontakt/",
    "/support/",
    "/schulungen/",
    "/newsletter/",
]
BUTTONS = {
    "de": ["Alle akzeptieren", "Nur notwendige", "Einstellungen"],
    "en": ["Accept all", "Necessary only", "Settings"],
}


@pytest.mark.parametrize("width", [320, 390, 1280])
@pytest.mark.parametrize("language", ["de", "en"])
def test_public_pages_fit_the_screen_and_show_the_banner_buttons(
    chromium, live_server, width, language
):
    policy_publish(summary="Erste Fassung")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page(viewport={"width": width, "height": 800})
    prefix = "" if language == "de" else "/en"
    page.set_default_timeout(5000)
    try:
        for path in PATHS:
            response = page.goto(live_server.url + prefix + path)
            assert response.status == 200, path
            name = path.strip("/").replace("/", "-") or "start"
            page.screenshot(path=SCREENSHOTS / f"layout-{language}-{width}-{name}.png")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{prefix}{path} scrolls sideways by {overflow}px at {width}px"
            banner = page.locator("#consent-banner")
            if path == "/cookies/":  # the settings page is the banner's second layer itself
                assert banner.count() == 0
                continue
            for label in BUTTONS[language]:
                button = banner.get_by_role("button", name=label, exact=True)
                box = button.bounding_box()
                assert box is not None, (path, label)
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (path, label, box)
    finally:
        page.close()
