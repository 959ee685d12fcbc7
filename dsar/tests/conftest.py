"""Fixtures of the dsar tests: temporary registry declarations for models of this branch."""

import copy

import pytest
from django.test import override_settings

from privacy.registry import Holder, LegalBasis, ProcessingActivity, registry


@pytest.fixture
def declare():
    """Register declarations for one test; the registry is restored afterwards."""
    saved = {name: copy.copy(getattr(registry, name)) for name in vars(registry)}
    yield registry.register
    for name, value in saved.items():
        setattr(registry, name, value)


ACCOUNTS = ProcessingActivity(
    key="test-accounts",
    name="Kundenkonten (Test)",
    purpose="Betreuung von Kunden",
    legal_basis=(LegalBasis.CONTRACT,),
    data_categories=("Name, E-Mail-Adresse",),
    data_subjects=("Kunden",),
    origin="von Ihnen bei der Bestellung angegeben",
    recipients=("Vertrieb der OPTIGEM GmbH",),
    retention="bis zum Ende des Vertrags",
)


def _anonymise_accounts(rows) -> int:
    count = 0
    for user in rows:
        user.email, user.first_name, user.last_name = "", "", ""
        user.username = f"geloescht-{user.pk}"
        user.save()
        count += 1
    return count


ACCOUNT_HOLDER = Holder(
    model="auth.User",
    activity="test-accounts",
    email_fields=("email",),
    export_fields=("username", "first_name", "last_name", "email", "date_joined"),
    editable_fields=("first_name", "last_name"),
    erase=_anonymise_accounts,
    anonymises=True,
    description="Ihr Kundenkonto",
)


@pytest.fixture
def accounts(declare):
    """auth.User as a holder with editable names and an anonymising eraser (a stand-in for the
    holders of the other apps)."""
    declare(ACCOUNTS)
    # The stand-in takes the place of accounts/privacy.py's auth.User holder for the test;
    # ``declare`` puts the real one back afterwards.
    registry.holders["auth.User"] = ACCOUNT_HOLDER
    return ACCOUNT_HOLDER


@pytest.fixture
def audited_user_admin(accounts):
    """An admin site on which auth.User is edited through AuditedModelAdmin."""
    with override_settings(ROOT_URLCONF="dsar.tests.urls"):
        yield "/test-admin/"
