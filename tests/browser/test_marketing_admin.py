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


def _parsed(sink):
    return [BytesParser(policy=policy.default).parsebytes(data) for _, _, data in sink.received]


@pytest.mark.parametrize("width", [1280, 390])
def test_marketing_writes_previews_tests_and_sends_in_both_languages_and_records_an_opt_out(
    chromium, live_server, smtp_sink, width
):
    from tests.browser.helpers import check_admin_page, staff_page

    factories.subscriber("leserin@example.org")
    factories.subscriber("reader@example.org", language="en")
    factories.subscriber("brief@example.org")
    context, page, _user = staff_page(chromium, live_server, "mia", "Marketing", PASSWORD, width)
    base = f"{live_server.url}/admin/newsletter"
    try:
        page.goto(f"{base}/mailing/add/")
        check_admin_page(page, "marketing-mailing-add", width)
        page.fill("#id_subject", "Neues im Winter")
        page.fill("#id_body", "**Neu:** Version 9 ![Logo](https://bilder.example/logo.png)")
        page.fill("#id_subject_en", "News this winter")
        page.fill("#id_body_en", "**New:** version 9")
        page.locator("input[name=_continue]").click()
        page.wait_for_url(f"{base}/mailing/*/change/")
        mailing_url = page.url
        check_admin_page(page, "marketing-mailing-saved", width)

        page.get_by_role("link", name="Vorschau").click()
        warning = page.locator(".mailing-version .warning")
        assert warning.count() == 1 and "Bilder" in warning.inner_text()
        assert page.locator(".mailing-version[lang=en] strong", has_text="New:").count() == 1
        link = page.locator(".mailing-version[lang=en] .mailing-preview a").last
        assert "/en/newsletter/abmelden/" in link.get_attribute("href")
        check_admin_page(page, "marketing-preview", width)

        page.goto(mailing_url)
        page.get_by_role("button", name="Test an mich senden").click()
        assert "Testmail an mia@optigem.com gesendet." in page.locator(".messagelist").inner_text()
        smtp_sink.wait_for(2)
        assert sorted(m["Subject"] for m in _parsed(smtp_sink)) == [
            "[TEST DE] Neues im Winter",
            "[TEST EN] News this winter",
        ]

        page.get_by_role("link", name="Versenden …").click()
        assert "geht an 3 Empfänger" in page.locator("#content-main").inner_text()
        check_admin_page(page, "marketing-send-confirm", width)
        page.get_by_role("button", name="Jetzt versenden").click()
        assert "Der Versand hat begonnen." in page.locator(".messagelist").inner_text()
        smtp_sink.wait_for(5)
        check_admin_page(page, "marketing-mailing-sent", width)

        page.goto(f"{base}/subscriber/written/")
        check_admin_page(page, "marketing-written-opt-out", width)
        page.fill("#id_email", "brief@example.org")
        page.fill("#id_reference", "Brief vom 1.12.")
        page.locator("#id_newsletter").check()
        page.get_by_role("button", name="Schriftliche Abmeldung oder Sperre erfassen").click()
        assert (
            "Die Newsletter-Abmeldung ist eingetragen." in page.locator(".messagelist").inner_text()
        )
        check_admin_page(page, "marketing-written-recorded", width)
    finally:
        context.close()
    sent = {m["To"]: m for m in _parsed(smtp_sink) if not m["Subject"].startswith("[TEST")}
    assert sent["leserin@example.org"]["Subject"] == "Neues im Winter"
    assert sent["reader@example.org"]["Subject"] == "News this winter"
    english = sent["reader@example.org"].get_body(("plain",)).get_content()
    assert "You receive this newsletter" in english and "/en/newsletter/abmelden/" in english
    from newsletter.models import Subscriber

    assert Subscriber.objects.get(email="brief@example.org").status == "unsubscribed"


@pytest.mark.parametrize("width", [1280, 390])
def test_marketing_enters_a_prospect_with_the_proof_of_consent(chromium, live_server, width):
    """Without the date and proof of consent the form says why in German and keeps what was
    typed; with them the prospect is saved."""
    from newsletter.models import Customer
    from tests.browser.helpers import check_admin_page, staff_page

    context, page, _user = staff_page(chromium, live_server, "mia", "Marketing", PASSWORD, width)
    try:
        page.goto(f"{live_server.url}/admin/newsletter/customer/add/")
        page.fill("input[name=name]", "Paula Probst")
        page.fill("input[name=email]", "paula@example.org")
        page.select_option("select[name=relationship]", "prospect")
        page.fill("input[name=source]", "Messe Dortmund")
        page.locator("input[name=_save]").click()
        page.locator(".errorlist").first.wait_for()
        errors = page.locator(".errorlist").all_inner_texts()
        assert any("Datum und Nachweis der Einwilligung" in text for text in errors), errors
        assert page.input_value("input[name=email]") == "paula@example.org"
        check_admin_page(page, "marketing-prospect-consent-missing", width)
        page.fill("input[name=consent_on]", "02.11.2026")
        page.fill("input[name=consent_evidence]", "Formular am Messestand, unterschrieben")
        page.locator("input[name=_save]").click()
        page.wait_for_url(f"{live_server.url}/admin/newsletter/customer/")
        check_admin_page(page, "marketing-prospect-saved", width)
    finally:
        context.close()
    prospect = Customer.objects.get()
    assert (prospect.consent_on.isoformat(), prospect.consent_evidence) == (
        "2026-11-02",
        "Formular am Messestand, unterschrieben",
    )
