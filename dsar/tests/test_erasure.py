"""Erasure (Art. 17) and the leak check, on a scenario built from every holder of this branch.

``SCENARIO`` maps each registered holder to a function that gives the person rows in it. When
the contact, newsletter and consent apps are merged, their holders get an entry here (contact
request, training registration, newsletter subscription, customer mail, consent receipt);
``test_the_scenario_covers_every_holder`` fails until they do.
"""

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.utils import timezone

from cloud import models as cloud_models
from cloud.models import Account, Invitation, OutgoingMail, Receipt, Role
from cloud.tests.factories import make_member, make_organisation, make_receipt
from consent.models import ConsentAction, ConsentReceipt
from contact.models import Inquiry, Kind, MailState
from contact.tests.factories import make_event
from dsar import services
from dsar.leakcheck import find_address
from dsar.models import Restriction, RestrictionGround
from newsletter.models import Delivery, DeliveryStatus, MailingKind, Suppression
from newsletter.suppression import is_suppressed
from newsletter.tests import factories as newsletter_factories
from privacy.audit import audit_log
from privacy.digests import address_digest
from privacy.models import AuditAction, AuditEntry, LegalHold
from privacy.registry import HGB_257, MailKind, Period, RetentionRule, Suppressor, registry

from .conftest import ACCOUNTS
from .factories import ADDRESS, make_request, make_staff

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 10)


def _account(address: str) -> None:
    get_user_model().objects.create_user(username="erika", email=address, first_name="Erika")


def _second_factor(address: str) -> None:
    # The person once worked with the admin: their authenticator app is on record.
    from accounts.models import TOTPDevice

    user = get_user_model().objects.get(email__iexact=address)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def _audit_entries(address: str) -> None:
    # The person once worked with the admin: the access log names their account.
    user = get_user_model().objects.get(email__iexact=address)
    for _ in range(3):
        audit_log(actor=user, action=AuditAction.VIEW, obj=user)


def _lifted_restriction(address: str) -> None:
    Restriction.objects.create(
        email_digest=address_digest(address),
        ground=RestrictionGround.ACCURACY,
        lifted_at="2025-06-01T10:00:00+02:00",
        lift_reason="Richtigkeit geklärt",
    )


def _contact_and_training(address: str) -> None:
    # A contact request, and a training registration for which the person is the guardian of a
    # pupil: both find the address, in either role.
    Inquiry.objects.create(
        kind=Kind.CONTACT,
        submission_key=uuid.uuid4(),
        name="Erika Mustermann",
        email=address,
        subject="Lizenzfrage",
        message=f"Bitte antworten Sie an {address}.",
        receipt_mail=MailState.SENT,
        staff_mail=MailState.SENT,
        guardian_mail=MailState.NOT_NEEDED,
    )
    Inquiry.objects.create(
        kind=Kind.TRAINING,
        submission_key=uuid.uuid4(),
        name="Tim Mustermann",
        email="tim@example.org",
        event=make_event(),
        is_minor=True,
        guardian_email=address.upper(),
        receipt_mail=MailState.WAITING,
        staff_mail=MailState.WAITING,
        guardian_mail=MailState.SENT,
    )


def _cloud_member(address: str) -> None:
    # The person's account also signs in to OPTIGEM CX: membership, a receipt (its approval
    # mailed), an invitation.
    user = get_user_model().objects.get(email__iexact=address)
    Account.objects.create(user=user, name="Erika Mustermann")
    organisation = make_organisation()
    membership = make_member(organisation=organisation, user=user)
    receipt = make_receipt(membership=membership)
    OutgoingMail.objects.create(
        kind=cloud_models.MailKind.RECEIPT_APPROVED,
        recipient=address.upper(),
        receipt=receipt,
        state=cloud_models.MailState.SENT,
        settled_at=timezone.now(),
    )
    Invitation.all_tenants.create(
        organisation=organisation,
        email=address,
        role=Role.REVIEWER,
        expires_at=timezone.now() + timedelta(days=7),
    )


def _cookie_consent(address: str) -> None:
    # The person also accepted statistics cookies. The receipt is pseudonymous: it holds a random
    # consent ID and no address, so discovery by address finds nothing and nothing leaks.
    ConsentReceipt.objects.create(
        consent_id=uuid.uuid4(),
        action=ConsentAction.ACCEPT_ALL,
        categories=["statistics"],
        policy_version=1,
        consent_hash="0" * 64,
        texts_hash="1" * 64,
        language="de",
        given_at=timezone.now(),
    )


def _newsletter_and_customer_mail(address: str) -> None:
    # Subscribed to the newsletter, kept as a customer, and sent one of each kind of mailing.
    reader = newsletter_factories.subscriber(address)
    client = newsletter_factories.customer(address.upper(), name="Erika Mustermann")
    for mailing, fields in (
        (newsletter_factories.mailing(), {"subscriber": reader}),
        (newsletter_factories.mailing(kind=MailingKind.CUSTOMER), {"customer": client}),
    ):
        Delivery.objects.create(
            mailing=mailing,
            address=address,
            address_hash=address_digest(address),
            status=DeliveryStatus.SENT,
            message_id=f"<{mailing.pk}.1@optigem.com>",
            created_at=timezone.now(),
            sent_at=timezone.now(),
            **fields,
        )


SCENARIO: dict[str, Callable[[str], None]] = {
    "newsletter.Subscriber": _newsletter_and_customer_mail,
    "newsletter.Customer": lambda address: None,  # made with the subscription
    "newsletter.Delivery": lambda address: None,
    # The suppression list holds only keyed hashes; erasure adds to it (wants_no_mail).
    "newsletter.Suppression": lambda address: None,
    "consent.ConsentReceipt": _cookie_consent,
    "contact.Inquiry": _contact_and_training,
    "auth.User": _account,
    # A legal hold names an address only while staff keep the data on purpose (Art. 17(3)(e)).
    "privacy.LegalHold": lambda address: None,
    "cloud.Account": _cloud_member,
    "cloud.Membership": lambda address: None,  # made with the account
    "cloud.Receipt": lambda address: None,
    "cloud.Invitation": lambda address: None,
    "cloud.OutgoingMail": lambda address: None,
    "privacy.AuditEntry": _audit_entries,
    "accounts.TOTPDevice": _second_factor,
    # Django's own records (accounts/privacy.py): none in this scenario.
    "accounts.UserSession": lambda address: None,
    "admin.LogEntry": lambda address: None,
    "otp_static.StaticDevice": lambda address: None,
    "otp_static.StaticToken": lambda address: None,
    "dsar.Restriction": _lifted_restriction,
    "dsar.SubjectRequest": lambda address: None,  # the request under test
}


@pytest.fixture
def scenario(accounts):
    for build in SCENARIO.values():
        build(ADDRESS)
    return make_request(wants_erasure=True, wants_no_mail=True)


def test_the_scenario_covers_every_holder(accounts):
    test_only = Path(settings.BASE_DIR) / "tests"
    real = {
        label
        for label, holder in registry.holders.items()
        if not Path(holder.get_model()._meta.app_config.path).is_relative_to(test_only)
    }
    assert real - set(SCENARIO) == set()


def test_erasure_leaves_the_address_only_in_the_open_request(scenario):
    assert {h.table for h in find_address(ADDRESS)} >= {"auth_user", "dsar_subjectrequest"}
    report = services.request_erase(request=scenario, actor=make_staff("dpo"), today=TODAY)
    assert report.leaks == []
    assert report.anonymised["privacy.AuditEntry"] == 3  # the entries stay, without the actor
    # The CX account's eraser removes the user behind it, so the auth.User holder finds none left.
    assert report.erased["cloud.Account"] == 1
    assert not get_user_model().objects.filter(email__iexact=ADDRESS).exists()
    assert not Receipt.all_tenants.filter(submitter_email__iexact=ADDRESS).exists()
    assert not Invitation.all_tenants.exists()
    assert report.erased["cloud.OutgoingMail"] == 1
    assert not OutgoingMail.objects.exists()
    assert report.erased["dsar.Restriction"] == 1
    assert report.erased["contact.Inquiry"] == 2
    assert report.erased["newsletter.Subscriber"] == 1
    assert report.erased["newsletter.Customer"] == 1
    assert report.anonymised["newsletter.Delivery"] == 2  # the mailing's counts stay
    assert "newsletter.Delivery" not in report.erased
    assert Delivery.objects.filter(address="", status=DeliveryStatus.SENT).count() == 2
    assert not Inquiry.objects.exists()
    assert [k.holder for k in report.kept] == ["dsar.SubjectRequest"]
    assert [h.table for h in find_address(ADDRESS)] == ["dsar_subjectrequest"]
    assert not AuditEntry.objects.filter(actor__email__iexact=ADDRESS).exists()
    services.request_complete(request=scenario, actor=None, today=TODAY)
    assert find_address(ADDRESS) == []


def test_every_erased_row_and_the_step_are_audit_entries(scenario):
    officer = make_staff("dpo")
    report = services.request_erase(request=scenario, actor=officer, today=TODAY)
    erased = AuditEntry.objects.filter(action=AuditAction.ERASE, actor=officer)
    assert report.anonymised["privacy.AuditEntry"] == 3
    # every erased or anonymised row, and the step
    assert erased.count() == sum(report.erased.values()) + sum(report.anonymised.values()) + 1
    assert scenario.outcome["erasure"]["erased"]["cloud.Account"] == 1
    assert ADDRESS.lower() not in str(scenario.outcome).lower()


def test_the_report_speaks_of_kinds_of_data_not_models(scenario):
    report = services.request_erase(request=scenario, actor=make_staff("dpo"), today=TODAY)
    done = {f"{name}: {action}" for name, action, _count in report.done}
    assert {"Newsletter-Abonnenten: gelöscht", "Zustellungen: anonymisiert"} <= done
    assert "Zugriffsprotokoll: anonymisiert" in done
    assert not any("." in name for name, _action, _count in report.done)


def test_leak_check_finds_the_address_where_no_holder_looks(scenario):
    # A staff note that quotes the address is not declared anywhere: only the scan finds it.
    entry = audit_log(actor=None, action=AuditAction.VIEW, obj=scenario)
    AuditEntry.objects.filter(pk=entry.pk).update(note=f"Rückruf an {ADDRESS.upper()}")
    report = services.request_erase(request=scenario, actor=None, today=TODAY)
    assert [(h.table, h.column, h.pk) for h in report.leaks] == [
        ("privacy_auditentry", "note", str(entry.pk))
    ]


def test_statutory_retention_keeps_rows_and_names_the_law(accounts):
    letters = RetentionRule(
        key="test-letters",
        holder="auth.User",
        trigger="date_joined",
        period=Period(months=1),
        description="Geschäftsbriefe: sechs Jahre nach Jahresende",
        statutory=HGB_257,
        statutory_trigger="date_joined",
    )
    registry.activities["test-accounts"] = replace(ACCOUNTS, retention_rules=(letters,))
    _account(ADDRESS)
    request = make_request(wants_erasure=True)
    report = services.request_erase(request=request, actor=None, today=TODAY)
    kept = {k.holder: k for k in report.kept}
    assert kept["auth.User"].reason == str(HGB_257.law)
    assert "auth.User" not in report.erased
    assert report.leaks == []
    assert get_user_model().objects.get().email.lower() == ADDRESS.lower()


def test_erased_person_who_wants_no_mail_is_suppressed(scenario):
    report = services.request_erase(request=scenario, actor=None, today=TODAY)
    assert report.suppressed
    assert is_suppressed(ADDRESS, "newsletter")
    assert is_suppressed(ADDRESS.upper(), "customer")
    entry = Suppression.objects.get()
    assert (entry.reason, entry.channel) == ("erasure", "dsar")
    assert registry.mail_blocked(ADDRESS, kind=MailKind.NEWSLETTER) is not None


def _rows_of(address: str) -> int:
    return sum(holder.rows_for(address).count() for holder in registry.holders.values())


class Crash(Exception):
    pass


def test_a_crash_after_the_block_leaves_the_person_neither_erased_nor_blocked(
    scenario, monkeypatch
):
    # The step after the suppression (the leak check) dies, as a worker killed mid-erasure.
    before = _rows_of(ADDRESS)

    def crash(address):
        assert Suppression.objects.exists()  # the block was written in the same transaction
        raise Crash

    monkeypatch.setattr(services.leakcheck, "find_address", crash)
    with pytest.raises(Crash):
        services.request_erase(request=scenario, actor=None, today=TODAY)
    assert _rows_of(ADDRESS) == before
    assert not Suppression.objects.exists()
    scenario.refresh_from_db()
    assert "erasure" not in scenario.outcome


def test_a_failing_block_leaves_the_data_in_place(scenario, declare):
    # A second suppressor that fails after the newsletter's has blocked the address.
    def refuse(address, **details):
        raise Crash

    declare(Suppressor(key="failing", suppress=refuse))
    before = _rows_of(ADDRESS)
    with pytest.raises(Crash):
        services.request_erase(request=scenario, actor=None, today=TODAY)
    assert _rows_of(ADDRESS) == before
    assert not is_suppressed(ADDRESS, "newsletter")


def test_leakcheck_command_reports_hits_and_fails(scenario, capsys):
    with pytest.raises(CommandError, match="Fundstelle"):
        call_command("dsar_leakcheck", ADDRESS)
    assert "dsar_subjectrequest.email" in capsys.readouterr().out
    services.request_erase(request=scenario, actor=None, today=TODAY)
    services.request_complete(request=scenario, actor=None, today=TODAY)
    call_command("dsar_leakcheck", ADDRESS)
    assert "Keine Fundstellen." in capsys.readouterr().out


def test_a_legal_hold_on_the_address_keeps_the_rows_and_says_why(scenario):
    LegalHold.objects.create(
        email=ADDRESS.lower(), reason="Rechtsstreit um eine Rechnung", until=date(2026, 12, 31)
    )
    report = services.request_erase(request=scenario, actor=None, today=TODAY)
    kept = {k.holder: k for k in report.kept}
    assert "Art. 17 Abs. 3 lit. e DSGVO" in kept["contact.Inquiry"].reason
    assert kept["contact.Inquiry"].count == 2
    assert Inquiry.objects.count() == 2
    assert report.erased == {}
    assert report.leaks == []


def test_a_legal_hold_on_one_row_keeps_only_that_row(scenario):
    held = Inquiry.objects.get(kind=Kind.CONTACT)
    LegalHold.objects.create(
        content_type=ContentType.objects.get_for_model(Inquiry),
        object_id=str(held.pk),
        reason="Beweissicherung",
        until=date(2026, 3, 1),
    )
    report = services.request_erase(request=scenario, actor=None, today=TODAY)
    assert list(Inquiry.objects.values_list("pk", flat=True)) == [held.pk]
    assert report.erased["contact.Inquiry"] == 1
    assert report.leaks == []


def test_an_ended_legal_hold_keeps_nothing(scenario):
    LegalHold.objects.create(email=ADDRESS, reason="alt", until=date(2026, 2, 9))
    services.request_erase(request=scenario, actor=None, today=TODAY)
    assert not Inquiry.objects.exists()
