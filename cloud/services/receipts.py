"""Receipts: handed in, reviewed under four eyes, refunded, booked, decisions mailed."""

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.digests import normalise_email

from .. import crypto
from ..models import REVIEW_ROLES, Membership, Receipt, RefundMethod, Status
from ..validators import Kind
from .mails import mail_send


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
    receipt.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at"])
    _decision_mail_after_commit(receipt)
    return receipt


def receipt_mark_refunded(*, receipt: Receipt, by) -> Receipt:
    _require_four_eyes(receipt, by)
    if receipt.status != Status.APPROVED:
        raise ValidationError(_("Nur genehmigte Belege können als erstattet markiert werden."))
    receipt.status = Status.REFUNDED
    receipt.refunded_at = timezone.now()
    receipt.save(update_fields=["status", "refunded_at"])
    _decision_mail_after_commit(receipt)
    return receipt


def _decision_mail_after_commit(receipt: Receipt) -> None:
    from ..tasks import send_receipt_decision

    send_receipt_decision.delay_on_commit(receipt.pk)


DECISION_SUBJECTS: dict[str, Promise] = {
    Status.APPROVED: gettext_lazy("OPTIGEM CX: Ihr Beleg wurde genehmigt"),
    Status.REJECTED: gettext_lazy("OPTIGEM CX: Ihr Beleg wurde abgelehnt"),
    Status.REFUNDED: gettext_lazy("OPTIGEM CX: Ihr Beleg wurde erstattet"),
}


def receipt_decision_send(*, receipt_id: int) -> None:
    """Tell the submitter the receipt's current decision, once per status (safe to run twice).

    The mail names the receipt by its date and links to it; amounts, the refund account and
    the reviewer's comment stay behind the sign-in.
    """
    receipt = Receipt.all_tenants.select_related("organisation").filter(pk=receipt_id).first()
    if (
        receipt is None
        or receipt.status not in DECISION_SUBJECTS
        or receipt.decision_mailed == receipt.status
        or not receipt.submitter_email
    ):
        return
    link = settings.SITE_URL + reverse(
        "cloud:receipt", kwargs={"org": receipt.organisation.slug, "pk": receipt.pk}
    )
    with translation.override("de"):
        mail_send(
            to=receipt.submitter_email,
            subject=str(DECISION_SUBJECTS[receipt.status]),
            template="cloud/mail/receipt_decision.txt",
            context={"receipt": receipt, "link": link},
        )
    Receipt.all_tenants.filter(pk=receipt.pk).update(decision_mailed=receipt.status)


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
