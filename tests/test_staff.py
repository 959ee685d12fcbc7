"""Staff groups, the audit log, publishing a policy version in the admin."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import RequestFactory

from privacy.audit import AuditedModelAdmin, audit_log
from privacy.models import AuditAction, AuditEntry, PolicyVersion
from privacy.registry import STAFF_GROUPS, registry

pytestmark = pytest.mark.django_db


def codes(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_staff_groups_exist_with_exactly_their_declared_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(STAFF_GROUPS)
    datenschutz = Group.objects.get(name="Datenschutz")
    assert codes(datenschutz) == registry.grants["Datenschutz"]
    assert "privacy.view_auditentry" not in codes(Group.objects.get(name="Support"))


@pytest.fixture
def officer(client):
    user = User.objects.create_user("officer", "officer@optigem.invalid", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Datenschutz"))
    client.force_login(user)
    return user


def test_officer_publishes_a_version_in_the_admin(client, officer):
    response = client.post(
        "/admin/privacy/policyversion/add/",
        {"changed_on": "2026-11-26", "summary": "Cookies neu beschrieben"},
    )
    assert response.status_code == 302
    version = PolicyVersion.objects.get()
    assert version.number == 1
    assert version.changed_on == date(2026, 11, 26)
    assert version.registry_hash == registry.content_hash()
    assert version.consent_hash == registry.content_hash(sections=("cookies",))
    client.post("/admin/privacy/policyversion/add/", {"changed_on": "2026-11-27", "summary": "2"})
    assert PolicyVersion.objects.current().number == 2


def test_support_staff_cannot_read_the_audit_log(client):
    user = User.objects.create_user("support", "s@optigem.invalid", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    assert client.get("/admin/privacy/auditentry/").status_code == 403


def test_audited_admin_logs_view_change_and_delete():
    site = admin.AdminSite(name="audit-test")
    model_admin = AuditedModelAdmin(Group, site)
    boss = User.objects.create_superuser("boss", "boss@optigem.invalid", "pw")
    group = Group.objects.create(name="Testgruppe")
    request = RequestFactory().get("/")
    request.user = boss
    request._messages = []
    group_id = str(group.pk)
    response = model_admin.change_view(request, group_id)
    assert response.status_code == 200
    model_admin.delete_model(request, group)
    entries = list(AuditEntry.objects.order_by("pk").values_list("actor", "action", "object_id"))
    assert entries == [
        (boss.pk, AuditAction.VIEW, group_id),
        (boss.pk, AuditAction.DELETE, group_id),
    ]


def test_audit_entries_survive_the_actors_erasure():
    user = User.objects.create_user("gone", "gone@optigem.invalid", "pw")
    audit_log(actor=user, action=AuditAction.VIEW, obj=user)
    holder = registry.holders["privacy.AuditEntry"]
    rows = holder.rows_for("GONE@optigem.invalid")
    assert holder.export(rows)[0]["action"] == "view"
    holder.erase_rows(rows)
    assert AuditEntry.objects.get().actor is None


def test_groups_get_the_permissions_of_apps_migrated_after_privacy():
    support = Group.objects.get(name="Support")
    datenschutz = Group.objects.get(name="Datenschutz")
    later_apps = {code.split(".")[0] for code in registry.grants["Datenschutz"]} - {"privacy"}
    assert later_apps, "some app after privacy grants the Datenschutz group permissions"
    assert codes(datenschutz) == registry.grants["Datenschutz"]
    assert codes(support) == registry.grants.get("Support", set())


def test_a_forbidden_admin_url_shows_the_admins_own_page(client):
    from dsar.tests.factories import make_request
    from privacy.roles import sync_group_permissions

    sync_group_permissions()
    request = make_request()
    user = User.objects.create_user("sina", "sina@optigem.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    response = client.get(f"/admin/dsar/subjectrequest/{request.pk}/discovery/")
    assert response.status_code == 403
    assert "Kein Zugriff" in response.text and "OPTIGEM Verwaltung" in response.text
    assert 'id="nav-sidebar"' in response.text or "Abmelden" in response.text
    assert "403 Forbidden" not in response.text
