"""The cloud in the registry: processing on behalf (§2.6), holders that find, export, erase."""

import pytest

from cloud.models import Receipt, Role
from privacy.registry import Role as ProcessingRole
from privacy.registry import registry

from .factories import make_member, make_organisation, make_receipt

pytestmark = pytest.mark.django_db


def test_the_cloud_is_declared_as_processing_on_behalf_of_the_organisations():
    activity = registry.activities["cloud-receipts"]
    assert activity.role == ProcessingRole.PROCESSOR
    assert activity.policy_section == "2.6"
    assert activity.third_country_transfer is None
    assert {r.holder for r in activity.retention_rules} == {
        "cloud.Organisation",
        "cloud.Invitation",
        "cloud.OutgoingMail",
    }


def test_a_submitter_is_found_exported_and_erased_through_the_registry():
    org = make_organisation()
    member = make_member(organisation=org, role=Role.SUBMITTER)
    receipt = make_receipt(membership=member)
    holder = registry.holders["cloud.Receipt"]
    rows = holder.rows_for(member.user.email.upper())
    (exported,) = holder.export(rows)
    assert exported["refund_account_text"] == "Erika Muster · DE89370400440532013000 · COBADEFFXXX"
    assert holder.erase_rows(rows) == 1
    receipt.refresh_from_db()
    assert (receipt.submitter, receipt.submitter_email, receipt.refund_account) == (None, "", {})
    assert Receipt.all_tenants.filter(pk=receipt.pk).exists()

    account = registry.holders["cloud.Account"]
    assert account.erase_rows(account.rows_for(member.user.email)) >= 1
    assert not registry.holders["cloud.Membership"].rows_for(member.user.email).exists()


def test_every_cloud_model_is_declared():
    from django.apps import apps

    declared = registry.holders.keys() | registry.no_personal_data.keys()
    assert {m._meta.label for m in apps.get_app_config("cloud").get_models()} <= declared


def test_the_policy_page_describes_the_cloud_and_its_erasure(client):
    html = client.get("/datenschutz/").content.decode()
    assert "OPTIGEM CX Cloud: Beleg-Management und Dashboard" in html
    assert "einen Monat nach der Kündigung" in html


def test_a_promised_mail_is_found_exported_and_erased_by_its_address(
    client, django_capture_on_commit_callbacks
):
    from cloud.models import MailKind, OutgoingMail

    from .factories import make_user

    user = make_user(email="erika@example.org")
    with django_capture_on_commit_callbacks(execute=False):
        client.post("/cx/passwort-vergessen/", {"email": user.email})
    holder = registry.holders["cloud.OutgoingMail"]
    rows = holder.rows_for("Erika@Example.ORG")
    (exported,) = holder.export(rows)
    assert (exported["kind"], exported["recipient"], exported["state"]) == (
        MailKind.PASSWORD_RESET,
        "erika@example.org",
        "unsent",
    )
    assert holder.erase_rows(rows) == 1
    assert not OutgoingMail.objects.exists()


def test_mails_are_deleted_a_week_after_they_were_settled_and_a_month_after_they_were_not(
    client, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    from cloud.models import MailState, OutgoingMail

    from .factories import make_user

    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(3):
            client.post("/cx/passwort-vergessen/", {"email": make_user().email})
    now = timezone.now()
    sent, blocked, unsent = OutgoingMail.objects.order_by("pk")
    for mail, state in ((sent, MailState.SENT), (blocked, MailState.BLOCKED)):
        OutgoingMail.objects.filter(pk=mail.pk).update(state=state, settled_at=now)
    rules = {r.key: r for r in registry.retention_rules if r.holder == "cloud.OutgoingMail"}
    settled, never = rules["cloud-settled-mails"], rules["cloud-unsent-mails"]
    in_six_days, in_eight_days = now + datetime.timedelta(days=6), now + datetime.timedelta(days=8)
    assert not settled.expired(now=in_six_days).exists()
    assert set(settled.expired(now=in_eight_days)) == {sent, blocked}
    assert not never.expired(now=in_eight_days).exists()
    assert list(never.expired(now=now + datetime.timedelta(days=32))) == [unsent]
    html = client.get("/datenschutz/").content.decode()
    assert "Empfängeradresse und Art 7 Tage gespeichert, nachdem sie versendet wurde" in html
