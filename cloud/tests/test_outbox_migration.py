"""Migration cloud.0007: mails promised before the outbox become rows that the sweep sends."""

import datetime

import pytest
from django.utils import timezone

from cloud.tests.test_second_factor_migration import _migrate, _migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("cloud", "0006_account_totp_fields_removed")]
AFTER = [("cloud", "0007_outgoing_mail")]


def test_open_invitations_and_untold_decisions_become_unsent_mails(smtp_sink):
    now = timezone.now()
    apps = _migrate(BEFORE)
    try:
        Organisation = apps.get_model("cloud", "Organisation")
        Invitation = apps.get_model("cloud", "Invitation")
        Receipt = apps.get_model("cloud", "Receipt")
        org = Organisation.objects.create(name="Verein Alt", slug="verein-alt")
        week = now + datetime.timedelta(days=7)
        for email, fields in (
            ("offen@example.org", {}),
            ("versendet@example.org", {"sent_at": now}),
            ("gesperrt@example.org", {"blocked_by": "test-block"}),
            ("angenommen@example.org", {"accepted_at": now}),
            ("abgelaufen@example.org", {"expires_at": now - datetime.timedelta(days=1)}),
        ):
            Invitation._base_manager.create(
                organisation=org,
                email=email,
                role="submitter",
                **{"expires_at": week, **fields},
            )
        for email, status, mailed in (
            ("genehmigt@example.org", "approved", ""),
            ("gemeldet@example.org", "approved", "approved"),
            ("erstattet@example.org", "refunded", "approved"),
            ("eingereicht@example.org", "submitted", ""),
        ):
            Receipt._base_manager.create(
                organisation=org,
                submitter_name="Erika Muster",
                submitter_email=email,
                date=now.date(),
                amount="12.50",
                currency="EUR",
                purpose="Bastelmaterial",
                refund_method="bank",
                refund_account_encrypted="",
                file="cloud/1/beleg.pdf",
                file_name="beleg.pdf",
                content_type="application/pdf",
                file_size=1,
                status=status,
                decision_mailed=mailed,
            )
    finally:
        _migrate(AFTER)
        _migrate_to_latest()

    from cloud.models import MailKind, MailState, OutgoingMail
    from cloud.services.outbox import outgoing_mails_send_unsent

    queued = set(OutgoingMail.objects.values_list("kind", "recipient", "state"))
    assert queued == {
        (MailKind.INVITATION, "offen@example.org", MailState.UNSENT),
        (MailKind.RECEIPT_APPROVED, "genehmigt@example.org", MailState.UNSENT),
        (MailKind.RECEIPT_REFUNDED, "erstattet@example.org", MailState.UNSENT),
    }
    assert outgoing_mails_send_unsent() == 3
    assert sorted(m["To"] for m in smtp_sink.wait_for(3)) == [
        "erstattet@example.org",
        "genehmigt@example.org",
        "offen@example.org",
    ]
