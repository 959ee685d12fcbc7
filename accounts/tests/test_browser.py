"""The sign-in limit as a person sees it, on a phone and a desktop: after three wrong passwords
the form says how long to wait and keeps the address; afterwards the right password works."""

import pytest
from playwright.sync_api import expect

from accounts import limiter
from cloud.tests.factories import PASSWORD, make_member, make_organisation
from tests.browser.helpers import decline_optional_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Clock:
    now = 1_900_800_000.0

    def time(self):
        return self.now


@pytest.mark.parametrize("width", [390, 1280])
def test_the_cx_sign_in_says_how_long_to_wait(chromium, live_server, monkeypatch, width):
    from django.core.cache import cache

    cache.clear()
    clock = Clock()
    monkeypatch.setattr(limiter, "time", clock)
    email = make_member(organisation=make_organisation()).user.email
    context = chromium.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/cx/anmelden/")
        decline_optional_cookies(page)
        for _ in range(3):
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", "geraten")
            page.click("main button[type=submit]")
            # The answer is a new page: wait for it rather than read the one being replaced.
            expect(page.locator("main")).to_contain_text("E-Mail-Adresse oder Passwort ist falsch.")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        expect(page.locator("main")).to_contain_text("Bitte warten Sie 1 Sekunde")
        assert page.input_value("input[name=email]") == email
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.screenshot(path=f"var/screenshots/accounts-signin-wait-{width}.png", full_page=True)
        clock.now += 1
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/cx/anmelden/" not in url)
    finally:
        context.close()
