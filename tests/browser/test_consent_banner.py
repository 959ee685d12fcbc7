"""The cookie banner and Matomo in real Chromium, against the live server and a fake Matomo.

The fake Matomo on 127.0.0.1 serves a ``matomo.js`` that, like the real one, reads ``_paq``,
sets ``_pk_id``/``_pk_ses`` with the configured lifetimes and sends a hit to ``matomo.php``.
Set CONSENT_SCREENSHOTS=<dir> to also write the README's banner screenshots.
"""

import os
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from conftest import ThreadedServer
from consent.models import ConsentReceipt
from consent.policy import forget_policy
from optigem_site.settings.env import csp_with_origin
from privacy.registry import CookieCategory, registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_MATOMO_JS = b"""(function () {
  var config = {};
  (window._paq || []).forEach(function (call) { config[call[0]] = call.slice(1); });
  var site = config.setSiteId[0], id = "0123456789abcdef";
  document.cookie = "_pk_id." + site + ".1a2b=" + id + ".1700000000; Max-Age=" +
    config.setVisitorCookieTimeout[0] + "; path=/; SameSite=Lax";
  document.cookie = "_pk_ses." + site + ".1a2b=1; Max-Age=" +
    config.setSessionCookieTimeout[0] + "; path=/; SameSite=Lax";
  new Image().src = config.setTrackerUrl[0] + "?idsite=" + site + "&rec=1&_id=" + id +
    "&url=" + encodeURIComponent(location.href);
})();
"""
PIXEL = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@pytest.fixture(autouse=True)
def _fresh_policy_memo():
    forget_policy()
    yield
    forget_policy()


@pytest.fixture
def matomo(settings):
    """A fake self-hosted Matomo on 127.0.0.1 that records every request it gets."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            received.append(self.path)
            if self.path.startswith("/matomo.js"):
                body, kind = FAKE_MATOMO_JS, "application/javascript"
            elif self.path.startswith("/matomo.php"):
                body, kind = PIXEL, "image/gif"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with ThreadedServer(Handler) as server:
        settings.MATOMO_URL, settings.MATOMO_SITE_ID = f"{server.url}/", "1"
        settings.SECURE_CSP = csp_with_origin(settings.SECURE_CSP, settings.MATOMO_URL)
        server.received = received
        yield server


def _context(chromium, live_server, **options):
    return chromium.new_context(base_url=live_server.url, locale="de-DE", **options)


@pytest.fixture
def page(chromium, live_server):
    context = _context(chromium, live_server)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(chromium, live_server):
    context = _context(chromium, live_server, java_script_enabled=False)
    yield context.new_page()
    context.close()


def _cookie_names(page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def _pk_cookies(page) -> set[str]:
    return {name for name in _cookie_names(page) if name.startswith("_pk_")}


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def _banner_is_modal(page) -> bool:
    return page.evaluate("document.getElementById('consent-banner').matches(':modal')")


def test_first_visit_shows_the_banner_and_sets_only_necessary_cookies(page, matomo):
    page.goto("/", wait_until="networkidle")
    banner = page.get_by_role("dialog", name="Cookies und Besucherstatistik")
    assert banner.is_visible()
    assert _banner_is_modal(page)
    for label in ("Alle akzeptieren", "Nur notwendige", "Einstellungen"):
        assert banner.get_by_role("button", name=label).is_visible()
    for name in _cookie_names(page):
        declared = registry.cookie_for(name)
        assert declared is not None and declared.category == CookieCategory.NECESSARY, name
    page.goto("/impressum/", wait_until="networkidle")
    assert matomo.received == []


def test_necessary_only_closes_the_dialog_without_reload_and_leaves_no_pk_cookie(page, matomo):
    page.goto("/", wait_until="networkidle")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Nur notwendige").click()
    page.get_by_role("status").filter(has_text="gespeichert").wait_for()
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#consent-banner").count() == 0
    assert ConsentReceipt.objects.get().categories == []
    page.goto("/impressum/", wait_until="networkidle")
    assert page.locator("#consent-banner").count() == 0
    assert _pk_cookies(page) == set()
    assert matomo.received == []


def test_accept_all_loads_matomo_which_receives_a_tracking_hit(page, matomo):
    page.goto("/", wait_until="networkidle")
    page.get_by_role("button", name="Alle akzeptieren").click()
    page.get_by_role("status").filter(has_text="gespeichert").wait_for()
    # The page shown before consent has a CSP without the Matomo host; the next one has it.
    page.goto("/impressum/", wait_until="networkidle")
    assert _wait_for(lambda: any(p.startswith("/matomo.php") for p in matomo.received))
    assert "/matomo.js" in matomo.received
    hit = next(p for p in matomo.received if p.startswith("/matomo.php"))
    assert "idsite=1" in hit and "rec=1" in hit
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert {"_pk_id.1.1a2b", "_pk_ses.1.1a2b"} <= cookies.keys()
    month = cookies["_pk_id.1.1a2b"]["expires"] - time.time()
    assert 29 * 86400 < month <= 30 * 86400
    session = cookies["_pk_ses.1.1a2b"]["expires"] - time.time()
    assert 0 < session <= 30 * 60


def test_withdrawal_on_the_settings_page_removes_the_pk_cookies(page, matomo):
    page.goto("/", wait_until="networkidle")
    page.get_by_role("button", name="Alle akzeptieren").click()
    page.get_by_role("status").filter(has_text="gespeichert").wait_for()
    page.goto("/impressum/", wait_until="networkidle")
    assert _wait_for(lambda: len(_pk_cookies(page)) == 2)
    page.get_by_role("link", name="Cookie-Einstellungen").click()
    assert page.get_by_role("switch", name="Statistik erlauben").is_checked()
    page.get_by_role("button", name="Nur notwendige").click()
    page.wait_for_load_state("networkidle")
    assert _pk_cookies(page) == set()
    assert not page.get_by_role("switch", name="Statistik erlauben").is_checked()
    hits = len(matomo.received)
    page.goto("/", wait_until="networkidle")
    assert len(matomo.received) == hits


def test_the_script_itself_deletes_pk_cookies_without_consent(page, matomo):
    page.goto("/impressum/", wait_until="networkidle")
    page.evaluate("document.cookie = '_pk_id.1.ffff=abc; path=/'")
    page.evaluate("document.cookie = '_pk_ses.1.ffff=1; path=/'")
    assert len(_pk_cookies(page)) == 2
    page.add_script_tag(url="/static/consent/consent.js")  # runs again, no server involved
    assert _wait_for(lambda: _pk_cookies(page) == set())


def test_without_javascript_the_banner_still_works(nojs_page, matomo):
    page = nojs_page
    page.goto("/impressum/")
    banner = page.locator("#consent-banner")
    assert banner.is_visible()
    page.get_by_role("button", name="Einstellungen").click()
    assert page.url.endswith("/cookies/?next=%2Fimpressum%2F")
    page.get_by_role("switch", name="Statistik erlauben").check()
    page.get_by_role("button", name="Auswahl speichern").click()
    assert page.url.endswith("/impressum/")
    assert page.locator("#consent-banner").count() == 0
    assert ConsentReceipt.objects.get().categories == ["statistics"]
    page.goto("/cookies/")
    page.get_by_role("button", name="Nur notwendige").click()
    assert "Erlaubt: Notwendig (nur notwendige Cookies)." in page.content()


def test_without_javascript_necessary_only_from_the_banner(nojs_page, matomo):
    nojs_page.goto("/datenschutz/")
    nojs_page.get_by_role("button", name="Nur notwendige").click()
    assert nojs_page.url.endswith("/datenschutz/")
    assert nojs_page.locator("#consent-banner").count() == 0
    assert _pk_cookies(nojs_page) == set()
    assert matomo.received == []


def test_keyboard_only(page, matomo):
    page.goto("/", wait_until="networkidle")
    assert page.evaluate("document.activeElement.id") == "consent-banner"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Alle akzeptieren"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    settings_button = page.get_by_role("button", name="Einstellungen")
    assert settings_button.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert settings_button.get_attribute("aria-expanded") == "true"
    switch = page.get_by_role("switch", name="Statistik")
    assert switch.evaluate("el => el === document.activeElement")
    page.keyboard.press("Space")
    assert switch.is_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Auswahl speichern"
    page.get_by_role("status").filter(has_text="gespeichert").wait_for()
    assert page.evaluate("document.activeElement.id") == "main"
    assert ConsentReceipt.objects.get().categories == ["statistics"]


def test_focus_stays_in_the_dialog_and_escape_unblocks_the_page(page, matomo):
    page.goto("/", wait_until="networkidle")
    focusable = page.locator("#consent-banner").locator("button:visible, a:visible").count()
    for _ in range(focusable + 2):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "document.getElementById('consent-banner').contains(document.activeElement)"
            " || document.activeElement === document.body"
        )
        assert inside
    page.keyboard.press("Escape")
    assert page.locator("#consent-banner").is_visible()
    assert not _banner_is_modal(page)
    assert page.evaluate("document.activeElement.id") == "main"
    assert not ConsentReceipt.objects.exists()


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})],
)
def test_banner_fits_the_screen(chromium, live_server, matomo, name, viewport):
    context = _context(chromium, live_server, viewport=viewport)
    page = context.new_page()
    page.goto("/", wait_until="networkidle")
    for label in ("Alle akzeptieren", "Nur notwendige", "Einstellungen"):
        box = page.get_by_role("button", name=label).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    widths = {
        round(page.get_by_role("button", name=label).bounding_box()["width"])
        for label in ("Alle akzeptieren", "Nur notwendige", "Einstellungen")
    }
    assert len(widths) == 1  # equally weighted: the same size
    if target := os.environ.get("CONSENT_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"consent-banner-{name}.png"))
    context.close()


@pytest.mark.parametrize("path", ["/datenschutz/", "/impressum/", "/en/datenschutz/"])
@pytest.mark.parametrize("width", [390, 1280])
def test_banner_does_not_block_the_pages_needed_to_decide(
    chromium, live_server, matomo, path, width
):
    context = _context(chromium, live_server, viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto("/", wait_until="networkidle")
        assert _banner_is_modal(page)
        # Following the banner's own link opens the page with the banner in the flow, not modal.
        page.goto(path, wait_until="networkidle")
        assert page.locator("#consent-banner").is_visible()
        assert not _banner_is_modal(page)
        # The page behind it can be read and used: its last heading is reachable and clickable.
        page.locator("h2").last.scroll_into_view_if_needed()
        assert page.locator("h2").last.is_visible()
        footer = page.get_by_role("contentinfo")
        label = "Cookie-Einstellungen" if "/en/" not in path else "Cookie settings"
        footer.get_by_role("link", name=label).click()
        page.wait_for_url("**/cookies/")
        assert _cookie_names(page) <= {
            name for name in _cookie_names(page) if registry.cookie_for(name) is not None
        }
        assert _pk_cookies(page) == set()
    finally:
        context.close()
