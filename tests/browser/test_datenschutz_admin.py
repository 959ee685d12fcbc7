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
