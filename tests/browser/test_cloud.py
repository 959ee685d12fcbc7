"""The cloud in a browser: sign in, hand in a receipt, review it; no CSP violation on the way."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from cloud.models import Receipt, Role, Status
from cloud.tests.factories import PASSWORD, PDF_BYTES, make_member, make_organisation
from tests.browser.helpers import decline_optional_cookies, pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_submitter_hands_in_a_receipt_and_a_reviewer_approves_it(chromium, live_server, tmp_path):
    org = make_organisation(slug="gemeinde")
    submitter = make_member(organisation=org, role=Role.SUBMITTER)
    reviewer = make_member(organisation=org, role=Role.REVIEWER)
    receipt_file = tmp_path / "tankbeleg.pdf"
    receipt_file.write_bytes(PDF_BYTES)
    requested, problems = [], []

    def session(user):
        context = chromium.new_context()
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.on(
            "console",
            lambda message: message.type in ("error", "warning") and problems.append(message.text),
        )
        page.goto(live_server.url + "/cx/anmelden/?next=/cx/gemeinde/")
        decline_optional_cookies(page)
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        return context, page

    context, page = session(submitter.user)
    try:
        page.click("text=Beleg einreichen")
        page.set_input_files("input[name=file]", str(receipt_file))
        page.fill("input[name=amount]", "23.40")
        page.fill("input[name=purpose]", "Fahrt zur Jugendfreizeit")
        page.fill("input[name=date]", (timezone.localdate() - timedelta(days=2)).isoformat())
        page.check("input[name=refund_method][value=paypal]")
        page.fill("input[name=paypal_email]", "erika@example.org")
        page.click("main button[type=submit]")
        assert "Ihr Beleg wurde eingereicht." in page.content()
    finally:
        context.close()

    receipt = Receipt.all_tenants.get()
    context, page = session(reviewer.user)
    try:
        page.goto(f"{live_server.url}/cx/gemeinde/belege/{receipt.pk}/")
        page.check("input[name=decision][value=approve]")
        page.click("form[action$='/pruefen/'] button[type=submit]")
        assert "Die Prüfung wurde gespeichert." in page.content()
    finally:
        context.close()

    receipt.refresh_from_db()
    assert receipt.status == Status.APPROVED
    assert {urlsplit(url).netloc for url in requested} == {urlsplit(live_server.url).netloc}
    assert problems == []


@pytest.mark.parametrize("width", [390, 1280])
def test_a_reviewer_sees_why_their_own_receipt_waits_for_someone_else(chromium, live_server, width):
    """Four eyes in the browser: no review form on one's own receipt, the reason instead."""
    from pathlib import Path

    from cloud.tests.factories import make_receipt

    org = make_organisation(slug=f"vier-augen-{width}")
    reviewer = make_member(organisation=org, role=Role.REVIEWER)
    submitter = make_member(organisation=org, role=Role.SUBMITTER)
    own = make_receipt(membership=reviewer, amount="42.50")
    other = make_receipt(membership=submitter)
    shots = Path("var/screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + f"/cx/anmelden/?next=/cx/{org.slug}/")
        decline_optional_cookies(page)
        page.fill("input[name=email]", reviewer.user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.goto(f"{live_server.url}/cx/{org.slug}/belege/{own.pk}/")
        notice = page.locator("main .notice")
        assert "niemand sonst Prüfrecht" in notice.inner_text()
        assert page.locator("form[action$='/pruefen/']").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.screenshot(path=str(shots / f"cloud-four-eyes-own-{width}.png"), full_page=True)

        page.goto(f"{live_server.url}/cx/{org.slug}/belege/{other.pk}/")
        page.check("input[name=decision][value=approve]")
        page.click("form[action$='/pruefen/'] button[type=submit]")
        assert "Die Prüfung wurde gespeichert." in page.content()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.screenshot(path=str(shots / f"cloud-review-other-{width}.png"), full_page=True)
    finally:
        context.close()
    other.refresh_from_db()
    own.refresh_from_db()
    assert (other.status, own.status) == (Status.APPROVED, Status.SUBMITTED)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_file_stays_when_the_iban_is_wrong_and_amounts_read_german(
    chromium, live_server, tmp_path, width
):
    """Item 3 in the browser: a typo in the IBAN does not cost the chosen file."""
    from pathlib import Path

    from django.conf import settings
    from django.test import Client

    from cloud.services.invitations import invitation_create

    org = make_organisation(slug=f"datei-{width}")
    submitter = make_member(organisation=org, role=Role.SUBMITTER)
    main = make_member(organisation=org, role=Role.MAIN_ADMIN)
    receipt_file = tmp_path / "Tankbeleg.pdf"
    receipt_file.write_bytes(PDF_BYTES)
    shots = Path("var/screenshots")
    shots.mkdir(parents=True, exist_ok=True)

    def signed_in(user, *, otp=False):
        client = Client()
        client.force_login(user)
        if otp:
            pass_second_factor(client, user)
        context = chromium.new_context(viewport={"width": width, "height": 900})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/cx/{org.slug}/")
        decline_optional_cookies(page)
        return context, page

    def fits(page):
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    context, page = signed_in(submitter.user)
    try:
        page.goto(f"{live_server.url}/cx/{org.slug}/belege/neu/")
        page.set_input_files("input[name=file]", str(receipt_file))
        page.fill("input[name=amount]", "1234.50")
        page.fill("input[name=purpose]", "Fahrt zur Jugendfreizeit")
        page.fill("input[name=date]", (timezone.localdate() - timedelta(days=2)).isoformat())
        page.check("input[name=refund_method][value=bank]")
        page.fill("input[name=account_holder]", "Erika Muster")
        page.fill("input[name=iban]", "DE89 3704 0044 0532 0130 01")
        page.click("main button[type=submit]")
        assert "Die Datei „Tankbeleg.pdf“ bleibt erhalten" in page.content()
        assert page.input_value("input[name=purpose]") == "Fahrt zur Jugendfreizeit"
        assert page.input_value("input[name=amount]") == "1.234,50"
        fits(page)
        page.screenshot(path=str(shots / f"cloud-receipt-kept-file-{width}.png"), full_page=True)
        page.fill("input[name=iban]", "DE89 3704 0044 0532 0130 00")
        page.click("main button[type=submit]")
        assert "Ihr Beleg wurde eingereicht." in page.content()
        assert "1.234,50\u00a0€" in page.inner_text("h1")
        fits(page)
        page.screenshot(
            path=str(shots / f"cloud-receipt-german-amount-{width}.png"), full_page=True
        )
    finally:
        context.close()
    assert Receipt.all_tenants.get().file_name == "Tankbeleg.pdf"

    invitation_create(organisation=org, email="neu@example.org", role=Role.SUBMITTER)
    context, page = signed_in(main.user, otp=True)
    try:
        page.goto(f"{live_server.url}/cx/{org.slug}/mitglieder/")
        assert page.get_by_role("button", name="Erneut senden").is_visible()
        page.screenshot(path=str(shots / f"cloud-members-invitations-{width}.png"), full_page=True)
        fits(page)
        # Every control of the members table is wholly in the window, none scrolled away.
        outside = page.evaluate(
            """() => [...document.querySelectorAll('main table select, main table button')]
                 .filter((el) => el.getBoundingClientRect().right > window.innerWidth)
                 .map((el) => el.textContent.trim() || el.name)"""
        )
        assert outside == [], f"controls outside the window at {width} px: {outside}"
        page.get_by_role("button", name="Zurückziehen").click()
        assert "Die Einladung an neu@example.org wurde zurückgezogen." in page.content()
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_an_administrator_enrols_a_second_factor_and_signs_in_with_it(
    chromium, live_server, settings, width
):
    """Item 6 of issue 16: QR code and key, ten backup codes once, then the code step at the
    next sign-in (a wrong code keeps what was typed, a backup code lets them in)."""
    from pathlib import Path

    from django.core.cache import cache

    from tests.browser.helpers import fits_width, totp_code

    cache.clear()
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    org = make_organisation(slug=f"zwei-faktor-{width}")
    admin = make_member(organisation=org, role=Role.ADMIN)
    base = live_server.url
    tokens = f"{base}/cx/{org.slug}/api-schluessel/"
    shots = Path("var/screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    missing, problems = [], []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    page.on("console", lambda m: m.type == "error" and problems.append((m.text, m.location)))

    def password_step():
        page.goto(f"{base}/cx/anmelden/?next=/cx/{org.slug}/api-schluessel/")
        decline_optional_cookies(page)
        page.fill("input[name=email]", admin.user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")

    try:
        page.goto(f"{base}/cx/passwort-vergessen/")
        decline_optional_cookies(page)
        assert fits_width(page)
        page.screenshot(path=str(shots / f"cloud-password-reset-{width}.png"), full_page=True)

        password_step()
        page.wait_for_url(f"{base}/cx/konto/zwei-faktor/**")
        assert page.locator(".qr svg").is_visible()
        assert page.locator("a[href^='otpauth://totp/']").is_visible()
        assert fits_width(page)
        page.screenshot(path=str(shots / f"cloud-2fa-enrol-{width}.png"), full_page=True)
        page.fill("#id_code", totp_code(page.inner_text("#totp-secret")))
        page.click("main button[type=submit]")
        codes = page.locator("#backup-codes li").all_inner_texts()
        assert len(codes) == 10
        assert fits_width(page)
        page.screenshot(path=str(shots / f"cloud-2fa-codes-{width}.png"), full_page=True)
        page.get_by_role("link", name="Weiter").click()
        page.wait_for_url(tokens)

        context.clear_cookies()
        password_step()
        page.wait_for_url(f"{base}/cx/anmelden/code/**")
        page.goto(tokens)  # not before the code
        assert page.url.startswith(f"{base}/cx/anmelden/")
        password_step()
        page.fill("#id_code", "99999999")
        page.click("main button[type=submit]")
        assert "Der Code stimmt nicht" in page.content()
        assert page.input_value("#id_code") == "99999999"
        assert fits_width(page)
        page.screenshot(path=str(shots / f"cloud-2fa-wrong-{width}.png"), full_page=True)
        page.fill("#id_code", codes[0])
        page.click("main button[type=submit]")
        page.wait_for_url(tokens)
        assert page.get_by_role("heading", level=1).is_visible()
        page.goto(f"{base}/cx/konto/")
        assert "noch 9 Codes übrig" in page.content()
        assert fits_width(page)
        page.screenshot(path=str(shots / f"cloud-profile-{width}.png"), full_page=True)
    finally:
        context.close()
    assert (missing, problems) == ([], [])
