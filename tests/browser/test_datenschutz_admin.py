"""Datenschutz in a real browser: the deletion run, dry run first, then the real run."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from privacy.roles import sync_group_permissions
from tests.browser.helpers import admin_login, fits_width

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-passwort-2026"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(autouse=True)
def _database_lock(settings):
    settings.REDIS_URL = ""


@pytest.mark.parametrize("width", [1280, 390])
def test_datenschutz_runs_the_deletion_run_from_the_admin(chromium, live_server, width):
    sync_group_permissions()
    user = User.objects.create_user("dora", "dora@optigem.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Datenschutz"))
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        admin_login(page, live_server.url, "dora", PASSWORD)
        page.goto(f"{live_server.url}/admin/privacy/deletionrun/")
        page.get_by_role("link", name="Löschlauf starten …").click()
        page.get_by_role("button", name="Probelauf starten").click()
        assert "es wurde nichts geändert" in page.locator("#content-main h2").inner_text()
        assert page.locator(".deletion-report li").count() >= 1
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / f"datenschutz-dry-run-{width}.png", full_page=True)
        page.get_by_label("Ich habe den Probelauf geprüft").check()
        page.get_by_role("button", name="Löschlauf jetzt starten").click()
        page.wait_for_url(f"{live_server.url}/admin/privacy/deletionrun/")
        assert "Der Löschlauf wurde gestartet" in page.locator(".messagelist").inner_text()
        page.reload()
        assert page.get_by_text("Verwaltung (dora)").count() == 1
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / f"datenschutz-run-list-{width}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_datenschutz_restricts_then_erases_after_confirming(chromium, live_server, width):
    from dsar.tests.factories import ADDRESS, make_request
    from newsletter.tests.factories import subscriber

    sync_group_permissions()
    user = User.objects.create_user("dora", "dora@optigem.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Datenschutz"))
    subscriber(ADDRESS, name="Erika Mustermann")
    request = make_request(wants_erasure=True, wants_restriction=True, wants_no_mail=True)
    base = f"{live_server.url}/admin/dsar/subjectrequest/{request.pk}"
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        admin_login(page, live_server.url, "dora", PASSWORD)
        page.goto(f"{base}/discovery/")
        page.get_by_role("link", name="Verarbeitung einschränken …").click()
        assert "schreibgeschützt" in page.locator("#content-main").inner_text()
        assert fits_width(page)
        page.screenshot(
            path=SCREENSHOTS / f"datenschutz-restrict-confirm-{width}.png", full_page=True
        )
        page.get_by_label("Grund").select_option("accuracy")
        page.get_by_role("button", name="Ja, Verarbeitung einschränken").click()
        page.wait_for_url(f"{base}/discovery/")
        page.get_by_role("link", name="Daten löschen …").click()
        main = page.locator("#content-main").inner_text()
        assert "Art. 18 Abs. 1 lit. a" in main
        assert page.get_by_role("button", name="Ja, Daten jetzt löschen").count() == 0
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / f"datenschutz-erase-refused-{width}.png", full_page=True)
        page.get_by_role("link", name="Einschränkung aufheben").click()
        page.get_by_label("Grund der Aufhebung").fill("Richtigkeit geprüft, Person unterrichtet")
        page.get_by_role("button", name="Einschränkung aufheben").click()
        page.goto(f"{base}/erase/")
        main = page.locator("#content-main").inner_text()
        assert "Newsletter-Abonnenten" in main and "gelöscht" in main
        assert "newsletter.Subscriber" not in main
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / f"datenschutz-erase-confirm-{width}.png", full_page=True)
        page.get_by_role("button", name="Ja, Daten jetzt löschen").click()
        main = page.locator("#content-main").inner_text()
        assert "Newsletter-Abonnenten: gelöscht (1)" in main
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / f"datenschutz-erase-report-{width}.png", full_page=True)
    finally:
        context.close()


def test_a_forbidden_admin_page_is_the_admins_own(chromium, live_server):
    from dsar.tests.factories import make_request

    sync_group_permissions()
    user = User.objects.create_user("sina", "sina@optigem.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    request = make_request()
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        admin_login(page, live_server.url, "sina", PASSWORD)
        response = page.goto(f"{live_server.url}/admin/dsar/subjectrequest/{request.pk}/discovery/")
        assert response.status == 403
        assert page.locator("#site-name").inner_text() == "OPTIGEM Verwaltung"
        assert page.locator("h1").inner_text() == "Kein Zugriff"
        assert fits_width(page)
        page.screenshot(path=SCREENSHOTS / "admin-403-1280.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_datenschutz_handles_a_request_from_letter_to_deletion_run(chromium, live_server, width):
    """Register, verify, export (letter and copy), rectify, restrict, erase, then the run."""
    import json

    from django.utils import timezone

    from dsar.models import SubjectRequest
    from newsletter.models import Subscriber
    from newsletter.tests.factories import subscriber
    from tests.browser.helpers import check_admin_page, staff_page

    address = "erika.muster@example.org"
    subscriber(address, name="Erika Mustre")
    today = timezone.localdate().strftime("%d.%m.%Y")
    context, page, _user = staff_page(chromium, live_server, "dora", "Datenschutz", PASSWORD, width)
    admin = f"{live_server.url}/admin"
    try:
        page.goto(f"{admin}/dsar/subjectrequest/add/")
        check_admin_page(page, "datenschutz-register", width)
        page.fill("#id_requester_name", "Erika Muster")
        page.fill("#id_email", address)
        page.fill("#id_postal_address", "Heidestraße 17\n51147 Köln")
        page.select_option("#id_channel", "letter")
        page.fill("#id_received_on", today)
        page.fill("#id_letter_reference", "DS-2026-042")
        for right in ("access", "rectification", "erasure", "restriction"):
            page.locator(f"#id_wants_{right}").check()
        page.locator("input[name=_continue]").click()
        page.wait_for_url(f"{admin}/dsar/subjectrequest/*/change/")
        request = SubjectRequest.objects.get()
        base = f"{admin}/dsar/subjectrequest/{request.pk}"
        check_admin_page(page, "datenschutz-registered", width)

        page.fill("#id_identity_check_started_on", today)
        page.select_option("#id_identity_method", "code-by-post")
        page.fill("#id_identity_verified_on", today)
        page.locator("input[name=_continue]").click()
        page.wait_for_url(f"{base}/change/")
        request.refresh_from_db()
        assert request.identity_verified_on == timezone.localdate() and request.due_on

        page.get_by_role("link", name="Bearbeiten: Daten ermitteln, Auskunft, Löschung").click()
        page.wait_for_url(f"{base}/discovery/")
        assert page.locator(".dsar-record dd", has_text="Erika Mustre").count() == 1
        check_admin_page(page, "datenschutz-discovery", width)

        with page.context.expect_page() as tab:
            page.get_by_role("button", name="Auskunft als Schreiben (HTML, druckbar)").click()
        letter = tab.value
        letter.wait_for_load_state()
        assert letter.locator(".record dt", has_text="Name").count() >= 1
        assert "mailing_subject" not in letter.content() and "<table" not in letter.content()
        check_admin_page(letter, "datenschutz-letter", width)
        assert letter.pdf(format="A4")[:4] == b"%PDF"
        letter.close()
        with page.expect_download() as download:
            page.get_by_role("button", name="Datenkopie als JSON (Art. 15 Abs. 3, Art. 20)").click()
        copy = json.loads(download.value.path().read_text(encoding="utf-8"))
        assert copy["request"]["reference"] == "DS-2026-042"

        rectify = page.locator("form.dsar-inline").filter(
            has=page.locator("input[name=holder][value='newsletter.Subscriber']")
        )
        rectify.locator("input[name=value]").fill("Erika Muster")
        rectify.get_by_role("button", name="berichtigen").click()
        page.wait_for_url(f"{base}/discovery/")
        assert Subscriber.objects.get().name == "Erika Muster"

        page.get_by_role("link", name="Verarbeitung einschränken …").click()
        check_admin_page(page, "datenschutz-restrict", width)
        page.get_by_label("Grund").select_option("objection")
        page.get_by_role("button", name="Ja, Verarbeitung einschränken").click()
        page.wait_for_url(f"{base}/discovery/")

        page.get_by_role("link", name="Daten löschen …").click()
        check_admin_page(page, "datenschutz-erase", width)
        page.get_by_role("button", name="Ja, Daten jetzt löschen").click()
        assert "Newsletter-Abonnenten: gelöscht (1)" in page.locator("#content-main").inner_text()
        check_admin_page(page, "datenschutz-erased", width)

        page.goto(f"{base}/change/")
        check_admin_page(page, "datenschutz-outcome", width)
        outcome = page.locator(".dsar-outcome").inner_text()
        assert "Auskunft als Schreiben erstellt am" in outcome and "{" not in outcome

        page.goto(f"{admin}/privacy/deletionrun/")
        check_admin_page(page, "datenschutz-runs", width)
        page.get_by_role("link", name="Löschlauf starten …").click()
        page.get_by_role("button", name="Probelauf starten").click()
        confirm = page.get_by_label("Ich habe den Probelauf geprüft")
        confirm.wait_for()  # the dry run's report page, not the form being left
        check_admin_page(page, "datenschutz-run-dry", width)
        confirm.check()
        page.get_by_role("button", name="Löschlauf jetzt starten").click()
        page.wait_for_url(f"{admin}/privacy/deletionrun/")
        assert "Der Löschlauf wurde gestartet" in page.locator(".messagelist").inner_text()
    finally:
        context.close()
    assert not Subscriber.objects.exists()
