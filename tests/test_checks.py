"""The system checks keep the registry complete and consistent."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from privacy.checks import check_declarations_consistent, check_models_declared
from privacy.registry import Holder, registry


def test_the_project_passes_its_own_checks():
    assert check_models_declared() == []
    assert check_declarations_consistent() == []


@pytest.mark.django_db
def test_an_undeclared_model_fails_manage_py_check(monkeypatch):
    monkeypatch.delitem(registry.no_personal_data, "privacy.PolicyVersion")
    errors = check_models_declared()
    assert [(e.id, e.obj._meta.label) for e in errors] == [
        ("privacy.E001", "privacy.PolicyVersion")
    ]
    with pytest.raises(SystemCheckError, match=r"privacy\.E001"):
        call_command("check")


@pytest.mark.parametrize(
    ("table", "label"),
    [
        ("holders", "admin.LogEntry"),  # Django's own app
        ("holders", "otp_static.StaticToken"),  # a third-party app
        ("holders", "retention_app.Voucher"),  # the test app
    ],
)
def test_an_undeclared_model_of_any_installed_app_fails_the_check(monkeypatch, table, label):
    monkeypatch.delitem(getattr(registry, table), label)
    errors = check_models_declared()
    assert [(e.id, e.obj._meta.label) for e in errors] == [("privacy.E001", label)]


def test_a_holder_naming_an_unknown_field_is_reported(monkeypatch):
    broken = Holder(
        model="privacy.AuditEntry",
        activity="staff-access",
        email_fields=("actor__mail",),
        export_fields=("at",),
    )
    monkeypatch.setitem(registry.holders, "privacy.AuditEntry", broken)
    assert [e.id for e in check_declarations_consistent()] == ["privacy.E004"]
