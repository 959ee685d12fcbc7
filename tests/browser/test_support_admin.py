"""Support in a real browser: requests from the site (mails to a real SMTP sink), answered and
closed in the admin, in German, at phone and desktop width."""

import pytest

from contact.models import Inquiry, Kind
from contact.services import inquiry_create
from contact.tests.factories import support_data
from privacy.models import AuditEntry
from tests.browser.helpers import check_admin_page, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-passwort-2026"


@pytest.mark.parametrize("width", [1280, 390])
def test_support_answers_and_closes_requests(chromium, live_server, smtp_sink, width):
    first = inquiry_create(kind=Kind.SUPPORT, data=support_data())
    second = inquiry_create(
        kind=Kind.SUPPORT,
        data=support_data(email="lena@example.org", name="Lena Berg", subject="Druck leer"),
    )
    smtp_sink.wait_for(4)  # a receipt to each visitor and a notice to Support for each request
    assert {"max@example.org", "lena@example.org"} <= {
        rcpt for _, rcpts, _ in smtp_sink.received for rcpt in rcpts
    }
    context, page, _user = staff_page(chromium, live_server, "sven", "Support", PASSWORD, width)
    base = f"{live_server.url}/admin/contact/inquiry"
    try:
        page.goto(f"{base}/")
        assert page.locator("#result_list").get_by_text("Max Muster").count() >= 1
        check_admin_page(page, "support-list", width)

        page.goto(f"{base}/{first.pk}/change/")
        reply = page.get_by_role("link", name="Antwort im Mailprogramm schreiben")
        href = reply.get_attribute("href")
        assert href.startswith("mailto:max@example.org?subject=")
        assert "Import%20bricht%20ab" in href
        check_admin_page(page, "support-request", width)
        page.select_option("#id_status", label="beantwortet")
        page.locator("input[name=_save]").click()
        page.wait_for_url(f"{base}/")
        assert "erfolgreich geändert" in page.locator(".messagelist").inner_text()
        first.refresh_from_db()
        assert first.status == "answered"

        for inquiry in (first, second):
            page.locator(f"input.action-select[value='{inquiry.pk}']").check()
        page.select_option("select[name=action]", value="close_selected")
        page.get_by_role("button", name="Ausführen").click()
        assert page.locator(".messagelist").inner_text().strip() == "2 Anfragen abgeschlossen."
        check_admin_page(page, "support-closed", width)
    finally:
        context.close()
    assert set(Inquiry.objects.values_list("status", flat=True)) == {"closed"}
    closings = AuditEntry.objects.filter(note="abgeschlossen (Sammelaktion)")
    assert sorted(int(e.object_id) for e in closings) == sorted([first.pk, second.pk])
