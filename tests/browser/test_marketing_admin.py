"""Marketing in a real browser: the test mail of a mailing reaches a real SMTP server."""

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from newsletter.tests import factories
from privacy.roles import sync_group_permissions
from tests.browser.helpers import admin_login, fits_width

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-passwort-2026"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.parametrize("width", [1280, 390])
def test_marketing_sends_a_test_mail_from_the_change_page(chromium, live_server, smtp_sink, width):
    sync_group_permissions()
    user = User.objects.create_user("mia", "mia@optigem.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    mailing = factories.mailing()
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        admin_login(page, live_server.url, "mia", PASSWORD)
        page.goto(f"{live_server.url}/admin/newsletter/mailing/{mailing.pk}/change/")
        page.get_by_role("button", name="Test an mich senden").click()
        page.wait_for_url(f"{live_server.url}/admin/newsletter/mailing/{mailing.pk}/change/")
        assert page.locator(".messagelist").inner_text().strip() == (
            "Testmail an mia@optigem.com gesendet."
        )
        assert fits_width(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"marketing-test-mail-{width}.png", full_page=True)
    finally:
        context.close()
    assert [rcpt for _, rcpt, _ in smtp_sink.received] == [["mia@optigem.com"]]
    message = BytesParser(policy=policy.default).parsebytes(smtp_sink.received[0][2])
    assert message["Subject"] == f"[TEST] {mailing.subject}"
