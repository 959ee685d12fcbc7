"""A CX user who forgot the password gets it back in a browser: the mail comes from the outbox
through a real SMTP exchange, the link sets a new password, and the new password signs in."""

import re
from email import policy
from email.parser import BytesParser

import pytest

from cloud.models import OutgoingMail, Role
from cloud.tests.factories import make_member, make_organisation
from tests.browser.helpers import SCREENSHOTS, decline_optional_cookies, fits_width

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Neues-Passwort-fuer-Belege-2026"


def reset_link(data: bytes) -> str:
    part = BytesParser(policy=policy.default).parsebytes(data).get_body(("plain",))
    assert part is not None, "the mail has no text part"
    found = re.search(r"https?://\S+/cx/passwort-vergessen/\S+/\S+/", part.get_content())
    assert found is not None, "the mail has no reset link"
    return found.group(0)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_forgotten_password_is_reset_through_the_mailed_link(
    chromium, live_server, smtp_sink, settings, width
):
    settings.SITE_URL = live_server.url
    org = make_organisation(slug=f"vergessen-{width}")
    member = make_member(organisation=org, role=Role.SUBMITTER)
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 844})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{live_server.url}/cx/anmelden/")
        decline_optional_cookies(page)
        page.get_by_role("link", name="Passwort vergessen?").click()
        page.fill("input[name=email]", member.user.email.upper())
        page.screenshot(path=SCREENSHOTS / f"cloud-reset-ask-{width}.png", full_page=True)
        page.click("main button[type=submit]")
        page.wait_for_url("**/cx/passwort-vergessen/gesendet/")
        assert "E-Mail" in page.locator("main").inner_text()
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / f"cloud-reset-sent-{width}.png", full_page=True)

        (mail,) = smtp_sink.wait_for(1)
        assert mail["To"] == member.user.email
        assert smtp_sink.received[0][1] == [member.user.email]
        assert OutgoingMail.objects.get().state == "sent"
        page.goto(reset_link(smtp_sink.received[0][2]))
        page.wait_for_url("**/set-password/")
        page.fill("input[name=new_password1]", NEW_PASSWORD)
        page.fill("input[name=new_password2]", NEW_PASSWORD + "x")
        page.click("main button[type=submit]")
        # A mismatch is said in German (password fields are never sent back filled in).
        assert "Die beiden Passwörter sind nicht identisch." in page.locator("main").inner_text()
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / f"cloud-reset-mismatch-{width}.png", full_page=True)
        page.fill("input[name=new_password1]", NEW_PASSWORD)
        page.fill("input[name=new_password2]", NEW_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/cx/anmelden/")
        assert "neues Passwort ist gespeichert" in page.locator("body").inner_text()

        page.fill("input[name=email]", member.user.email)
        page.fill("input[name=password]", NEW_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/anmelden/" not in url)
        page.screenshot(path=SCREENSHOTS / f"cloud-reset-signed-in-{width}.png", full_page=True)
        assert org.name in page.locator("main").inner_text()
        assert problems == []
    finally:
        context.close()
