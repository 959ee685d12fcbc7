"""A staff member's second factor in Chromium, on a phone and a desktop: the first sign-in
enrols an authenticator app (QR code, link, key), shows ten backup codes once; the next sign-in
asks for a code, says so when it is wrong and keeps what was typed."""

import pytest
from django.contrib.auth import get_user_model

from tests.browser.helpers import fits_width, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "staff-pass-2026!"


def password_step(page, base_url, username):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


@pytest.mark.parametrize("width", [390, 1280])
def test_enrolment_then_sign_in_with_a_backup_code(chromium, live_server, settings, width):
    from django.core.cache import cache

    cache.clear()
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    username = f"zoe{width}"
    get_user_model().objects.create_user(
        username, f"{username}@optigem.invalid", PASSWORD, is_staff=True, is_superuser=True
    )
    base = live_server.url
    context = chromium.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    missing, problems = [], []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    page.on("console", lambda m: m.type == "error" and problems.append((m.text, m.location)))
    try:
        password_step(page, base, username)
        page.wait_for_url(f"{base}/admin/zweiter-faktor/einrichten/**")
        page.goto(f"{base}/admin/contact/inquiry/")
        assert "/admin/zweiter-faktor/einrichten/" in page.url
        assert page.locator(".qr svg").is_visible()
        assert page.locator("a[href^='otpauth://totp/']").is_visible()
        assert fits_width(page)
        page.screenshot(path=f"var/screenshots/accounts-2fa-enrol-{width}.png", full_page=True)
        page.fill("#id_code", totp_code(page.inner_text("#totp-secret")))
        page.click("input[type=submit]")
        codes = page.locator("#backup-codes li").all_inner_texts()
        assert len(codes) == 10
        assert fits_width(page)
        page.screenshot(path=f"var/screenshots/accounts-2fa-codes-{width}.png", full_page=True)
        page.get_by_role("link", name="Weiter zur Verwaltung").click()
        # Back to the page asked for before enrolment.
        page.wait_for_url(f"{base}/admin/contact/inquiry/")
        assert page.locator("#changelist").is_visible()

        context.clear_cookies()
        password_step(page, base, username)
        page.wait_for_url(f"{base}/admin/zweiter-faktor/**")
        page.fill("#id_code", "99999999")
        page.click("input[type=submit]")
        assert "Der Code stimmt nicht" in page.content()
        assert page.input_value("#id_code") == "99999999"
        assert fits_width(page)
        page.screenshot(path=f"var/screenshots/accounts-2fa-wrong-{width}.png", full_page=True)
        page.fill("#id_code", codes[0])
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        assert fits_width(page)
    finally:
        context.close()
    # Every resource the pages load exists, and the console stays clean.
    assert (missing, problems) == ([], [])
