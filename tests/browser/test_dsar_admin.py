"""The request handling pages in a real browser: strict CSP holds, the letter prints."""

import pytest
from django.contrib.auth import get_user_model

from dsar.tests.factories import ADDRESS, make_request, make_staff
from tests.browser.helpers import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-passwort-2026"


@pytest.fixture
def officer_page(chromium, live_server):
    officer = make_staff("dpo")
    officer.set_password(PASSWORD)
    officer.save()
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            msg.type == "error" and problems.append(f"{msg.text} {msg.location.get('url')}")
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    admin_login(page, live_server.url, "dpo", PASSWORD)
    yield page, problems
    context.close()


def test_discovery_and_printable_letter_in_chromium(officer_page, live_server):
    page, problems = officer_page
    get_user_model().objects.create_user(username="erika", email=ADDRESS)
    request = make_request()
    base = f"{live_server.url}/admin/dsar/subjectrequest/{request.pk}"

    page.goto(f"{base}/change/")
    page.click("text=Bearbeiten: Daten ermitteln, Auskunft, Löschung")
    page.wait_for_url(f"{base}/discovery/")
    assert page.locator("h2", has_text="Gefundene Daten").is_visible()

    with page.context.expect_page() as letter_tab:
        page.click("text=Auskunft als Schreiben (HTML, druckbar)")
    page = letter_tab.value
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Auskunft über Ihre personenbezogenen Daten")
    assert page.locator("dl dt", has_text="Rechtsgrundlage").count() >= 1
    # The stylesheet is applied (same origin, no inline style needed under the strict CSP).
    columns = page.eval_on_selector("dl", "el => getComputedStyle(el).display")
    assert columns == "grid"
    assert page.pdf(format="A4")[:4] == b"%PDF"
    # The site has no /favicon.ico (the browser asks for it by itself); anything else counts.
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []
