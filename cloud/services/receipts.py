"""Receipts: handed in, reviewed under four eyes, refunded, booked, decisions mailed."""

import json
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.digests import normalise_email

from .. import crypto
from ..models import (
    REVIEW_ROLES,
    MailKind,
    Membership,
    OutgoingMail,
    Receipt,
    RefundMethod,
    Status,
)
from ..validators import Kind
from .mails import Letter, outgoing_mails_queue


def receipt_submit(
    *, membership: Membership, data: dict, upload, kind: Kind, refund_account: dict[str, str]
) -> Receipt:
    """Store a checked upload with its details; the refund account only in encrypted form."""
    receipt = Receipt(
        organisation=membership.organisation,
        submitter=membership.user,
        submitter_name=data["submitter_name"],
        submitter_email=normalise_email(data["submitter_email"]),
        project=data.get("project"),
        date=data["date"],
        amount=data["amount"],
        currency=data["currency"],
        purpose=data["purpose"],
        refund_method=data["refund_method"],
        refund_account_encrypted=crypto.encrypt(json.dumps(refund_account)),
        file_name=Path(upload.name).name[:200],
        content_type=kind.content_type,
        file_size=upload.size,
    )
    receipt.file.save(f"receipt{kind.extension}", upload, save=False)
    try:
        receipt.full_clean(exclude=["file"])
        receipt.save()
    except Exception:
        receipt.file.delete(save=False)
        raise
    return receipt


def refund_account_from(data: dict) -> dict[str, str]:
    if data["refund_method"] == RefundMethod.PAYPAL:
        return {"paypal": normalise_email(data["paypal_email"])}
    return {"holder": data["account_holder"], "iban": data["iban"], "bic": data["bic"]}


def four_eyes_refusal(*, receipt: Receipt, user) -> str | None:
    """Why ``user`` may not decide on ``receipt`` (their own), or None.

    Four eyes: whoever handed a receipt in never approves, rejects or refunds it. When nobody
    else in the organisation may review, the message says so, so the organisation knows
    what to change.
    """
    if receipt.submitter_id is None or receipt.submitter_id != user.pk:
        return None
    others = (
        Membership.all_tenants.filter(
            organisation_id=receipt.organisation_id, role__in=REVIEW_ROLES
        )
        .exclude(user_id=user.pk)
        .exists()
    )
    if others:
        return _(
            "Sie haben diesen Beleg selbst eingereicht. Nach dem Vier-Augen-Prinzip prüft und "
            "erstattet ihn ein anderes Mitglied mit Prüfrecht."
        )
    return _(
        "Sie haben diesen Beleg selbst eingereicht. Nach dem Vier-Augen-Prinzip darf ihn nur "
        "ein anderes Mitglied prüfen; in Ihrer Organisation hat aber niemand sonst Prüfrecht. "
        "Bitte geben Sie einem weiteren Mitglied die Rolle „Prüfer“ oder „Administrator“."
    )


def _require_four_eyes(receipt: Receipt, user) -> None:
    refusal = four_eyes_refusal(receipt=receipt, user=user)
    if refusal:
        raise ValidationError(refusal, code="four_eyes")


def receipt_review(*, receipt: Receipt, reviewer, approve: bool, comment: str) -> Receipt:
    _require_four_eyes(receipt, reviewer)
    if receipt.status != Status.SUBMITTED:
        raise ValidationError(_("Dieser Beleg wurde bereits geprüft."))
    receipt.status = Status.APPROVED if approve else Status.REJECTED
    receipt.review_comment = comment
    receipt.reviewed_by = reviewer
    receipt.reviewed_at = timezone.now()
    with transaction.atomic():
        receipt.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at"])
        _decision_mail_queue(receipt)
    return receipt


def receipt_mark_refunded(*, receipt: Receipt, by) -> Receipt:
    _require_four_eyes(receipt, by)
    if receipt.status != Status.APPROVED:
        raise ValidationError(_("Nur genehmigte Belege können als erstattet markiert werden."))
    receipt.status = Status.REFUNDED
    receipt.refunded_at = timezone.now()
    with transaction.atomic():
        receipt.save(update_fields=["status", "refunded_at"])
        _decision_mail_queue(receipt)
    return receipt


# The mail that tells each decision, and its subject.
DECISION_MAILS: dict[str, str] = {
    Status.APPROVED: MailKind.RECEIPT_APPROVED,
    Status.REJECTED: MailKind.RECEIPT_REJECTED,
    Status.REFUNDED: MailKind.RECEIPT_REFUNDED,
}
DECISION_SUBJECTS: dict[str, Promise] = {
    MailKind.RECEIPT_APPROVED: gettext_lazy("OPTIGEM CX: Ihr Beleg wurde genehmigt"),
    MailKind.RECEIPT_REJECTED: gettext_lazy("OPTIGEM CX: Ihr Beleg wurde abgelehnt"),
    MailKind.RECEIPT_REFUNDED: gettext_lazy("OPTIGEM CX: Ihr Beleg wurde erstattet"),
}


def _decision_mail_queue(receipt: Receipt) -> None:
    """One mail per decision, written with it; a receipt without an address gets none."""
    if receipt.submitter_email:
        outgoing_mails_queue(
            mails=[
                OutgoingMail(
                    kind=DECISION_MAILS[receipt.status],
                    recipient=receipt.submitter_email,
                    receipt=receipt,
                )
            ]
        )


def receipt_decision_mail(mail: OutgoingMail, *, now: datetime) -> Letter | None:
    """Tell the submitter the decision the mail was written for (None once the receipt's
    submitter was erased).

    The mail names the receipt by its date and links to it; amounts, the refund account and
    the reviewer's comment stay behind the sign-in.
    """
    receipt = mail.receipt
    if receipt is None or not receipt.submitter_email:
        return None
    link = settings.SITE_URL + reverse(
        "cloud:receipt", kwargs={"org": receipt.organisation.slug, "pk": receipt.pk}
    )
    return Letter(
        subject=str(DECISION_SUBJECTS[mail.kind]),
        template="cloud/mail/receipt_decision.txt",
        context={"receipt": receipt, "decision": mail.kind, "link": link},
    )


def receipt_mark_booked(*, receipt: Receipt) -> Receipt:
    """Idempotent: a second call keeps the first booking time."""
    if receipt.booked_at is None:
        receipt.booked_at = timezone.now()
        receipt.save(update_fields=["booked_at"])
    return receipt


def receipts_anonymise(receipts) -> int:
    """Strip the submitter's personal data from receipts; amount, date and file stay the
    organisation's records (erasure of a person on the organisation's instruction)."""
    return receipts.update(
        submitter=None,
        submitter_name="",
        submitter_email="",
        refund_account_encrypted=crypto.encrypt(json.dumps({})),
    )
