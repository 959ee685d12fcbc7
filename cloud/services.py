"""State changes of the cloud: organisations, members, receipts, tokens, cancellation, accounts."""

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.audit import audit_log
from privacy.digests import normalise_email
from privacy.models import AuditAction
from privacy.registry import MailKind, registry

from . import crypto
from .models import (
    REVIEW_ROLES,
    Account,
    ApiToken,
    Invitation,
    Membership,
    Organisation,
    Receipt,
    RefundMethod,
    Role,
    Status,
)
from .validators import Kind

logger = logging.getLogger(__name__)

INVITATION_SALT = "cloud.invitation"
TOKEN_PREFIX = "cx_"


# Organisations and members


def organisation_create(*, name: str, slug: str, main_admin_email: str) -> Organisation:
    """Create a tenant and invite its first main administrator (OPTIGEM's central set-up)."""
    organisation = Organisation(name=name, slug=slug)
    organisation.full_clean()
    with transaction.atomic():
        organisation.save()
        invitation_create(organisation=organisation, email=main_admin_email, role=Role.MAIN_ADMIN)
    return organisation


def invitation_create(*, organisation: Organisation, email: str, role: str) -> Invitation:
    """Record the invitation, then mail its link after commit (the row survives a mail outage)."""
    from .tasks import send_invitation

    invitation = Invitation(
        organisation=organisation,
        email=normalise_email(email),
        role=role,
        expires_at=timezone.now() + timedelta(days=settings.CLOUD_INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    send_invitation.delay_on_commit(invitation.pk)
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def _send(*, to: str, subject: str, template: str, context: dict) -> str | None:
    """Send one transactional mail unless a guard blocks the address; returns the guard's key."""
    blocked = registry.mail_blocked(to, kind=MailKind.TRANSACTIONAL)
    if blocked:
        logger.info("cloud.mail.blocked guard=%s template=%s", blocked, template)
        return blocked
    send_mail(subject, render_to_string(template, context), None, [to])
    return None


def invitation_send(*, invitation_id: int) -> None:
    invitation = Invitation.all_tenants.select_related("organisation").get(pk=invitation_id)
    if invitation.sent_at or invitation.blocked_by:
        return
    link = settings.SITE_URL + reverse(
        "cloud:invitation_open", kwargs={"token": invitation_token(invitation)}
    )
    with translation.override("de"):
        blocked = _send(
            to=invitation.email,
            subject=_("Einladung zu OPTIGEM CX: %(name)s") % {"name": invitation.organisation},
            template="cloud/mail/invitation.txt",
            context={"invitation": invitation, "link": link},
        )
    invitation.blocked_by = blocked or ""
    invitation.sent_at = None if blocked else timezone.now()
    invitation.save(update_fields=["blocked_by", "sent_at"])


def invitation_from_token(token: str, *, now: datetime | None = None) -> Invitation:
    """The open invitation the link names; ValidationError if it is forged, used or expired."""
    now = now or timezone.now()
    try:
        pk = signing.loads(
            token, salt=INVITATION_SALT, max_age=timedelta(days=settings.CLOUD_INVITATION_DAYS)
        )
    except signing.SignatureExpired as exc:
        raise ValidationError(_("Diese Einladung ist abgelaufen.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("Dieser Einladungslink ist ungültig.")) from exc
    invitation = Invitation.all_tenants.select_related("organisation").filter(pk=pk).first()
    if invitation is None or invitation.accepted_at is not None:
        raise ValidationError(_("Diese Einladung wurde bereits angenommen oder zurückgezogen."))
    if invitation.expires_at <= now or invitation.organisation.is_read_only:
        raise ValidationError(_("Diese Einladung ist abgelaufen."))
    return invitation


def invitation_accept(*, invitation: Invitation, name: str, password: str, user=None):
    """Join the organisation: with a new account, or with ``user`` who is already signed in."""
    User = get_user_model()
    with transaction.atomic():
        if user is None:
            user = User(username=invitation.email, email=invitation.email)
            user.set_password(password)
            user.full_clean()
            user.save()
            Account.objects.create(user=user, name=name)
        Membership.all_tenants.update_or_create(
            organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return user


def _other_main_admin_exists(membership: Membership) -> bool:
    return (
        Membership.all_tenants.filter(
            organisation_id=membership.organisation_id, role=Role.MAIN_ADMIN
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def membership_change_role(*, membership: Membership, role: str, by=None) -> Membership:
    """Give a member another role; the change is audited (who, when, from which to which)."""
    if (
        membership.role == Role.MAIN_ADMIN
        and role != Role.MAIN_ADMIN
        and not _other_main_admin_exists(membership)
    ):
        raise ValidationError(_("Die Organisation braucht mindestens einen Haupt-Administrator."))
    previous = membership.role
    if previous == role:
        return membership
    membership.role = role
    membership.full_clean()
    with transaction.atomic():
        membership.save(update_fields=["role"])
        audit_log(
            actor=by,
            action=AuditAction.CHANGE,
            obj=membership,
            fields=["role"],
            note=f"{previous} -> {role}",
        )
    return membership


def invitation_revoke(*, invitation: Invitation, by=None) -> None:
    """Withdraw an open invitation: its link then says it was withdrawn (audited)."""
    if invitation.accepted_at is not None:
        raise ValidationError(_("Diese Einladung wurde bereits angenommen."))
    with transaction.atomic():
        audit_log(actor=by, action=AuditAction.DELETE, obj=invitation, note="invitation revoked")
        invitation.delete()


def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Mail an open invitation again with a fresh link and a fresh validity period."""
    from .tasks import send_invitation

    if invitation.accepted_at is not None:
        raise ValidationError(_("Diese Einladung wurde bereits angenommen."))
    invitation.expires_at = timezone.now() + timedelta(days=settings.CLOUD_INVITATION_DAYS)
    invitation.sent_at = None
    invitation.blocked_by = ""
    invitation.save(update_fields=["expires_at", "sent_at", "blocked_by"])
    send_invitation.delay_on_commit(invitation.pk)
    return invitation


def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.MAIN_ADMIN and not _other_main_admin_exists(membership):
        raise ValidationError(_("Die Organisation braucht mindestens einen Haupt-Administrator."))
    membership.delete()


# Receipts


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


# Uploads kept while the rest of the receipt form has errors

PENDING_SALT = "cloud.pending-upload"
PENDING_DIR = "cloud/pending"
PENDING_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class PendingUpload:
    """A checked upload waiting in storage for the corrected form; ``token`` names it, signed."""

    name: str
    original: str
    token: str


def pending_upload_keep(*, upload, kind: Kind, membership: Membership) -> PendingUpload:
    """Store an upload that passed its checks while another field failed, so it is not lost.

    The storage name is random; the token binds it to this member and expires after a day
    (``pending_uploads_remove`` deletes what is left after that).
    """
    name = default_storage.save(f"{PENDING_DIR}/{secrets.token_hex(16)}{kind.extension}", upload)
    original = Path(upload.name).name[:200]
    token = signing.dumps(
        {"n": name, "o": original, "m": membership.pk}, salt=PENDING_SALT, compress=True
    )
    return PendingUpload(name=name, original=original, token=token)


def pending_upload_find(*, token: str, membership: Membership) -> PendingUpload | None:
    """The kept upload ``token`` names, if it is this member's, fresh and still stored."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=PENDING_SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:
        return None
    if value.get("m") != membership.pk or not default_storage.exists(value["n"]):
        return None
    return PendingUpload(name=value["n"], original=value["o"], token=token)


def pending_upload_discard(*, pending: PendingUpload | None) -> None:
    if pending is not None:
        default_storage.delete(pending.name)


def pending_uploads_remove(*, now: datetime | None = None) -> int:
    """Delete kept uploads older than a day (their tokens have expired); safe to run twice."""
    now = now or timezone.now()
    try:
        _dirs, names = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        return 0
    removed = 0
    for base in names:
        name = f"{PENDING_DIR}/{base}"
        try:
            stale = default_storage.get_modified_time(name) <= now - PENDING_MAX_AGE
        except FileNotFoundError:
            continue
        if stale:
            default_storage.delete(name)
            removed += 1
    return removed


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
    from .tasks import send_receipt_decision

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
        _send(
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


# API tokens


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, organisation: Organisation, name: str) -> tuple[ApiToken, str]:
    """Return the token and its key; the key is shown once and only its digest is stored."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organisation=organisation, name=name, prefix=key[:10], digest=_digest(key))
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_authenticate(key: str) -> ApiToken | None:
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.all_tenants.active()
        .select_related("organisation")
        .filter(digest=_digest(key))
        .first()
    )
    if token is not None:
        ApiToken.all_tenants.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


# Cancellation and erasure


def organisation_cancel(*, organisation: Organisation, now: datetime | None = None) -> None:
    from .tasks import send_cancellation_notice

    organisation.cancelled_at = now or timezone.now()
    organisation.erasure_reminded_at = None
    organisation.save(update_fields=["cancelled_at", "erasure_reminded_at"])
    send_cancellation_notice.delay_on_commit(organisation.pk, organisation.cancelled_at.isoformat())


def organisation_withdraw_cancellation(*, organisation: Organisation) -> None:
    from .tasks import send_cancellation_notice

    organisation.cancelled_at = None
    organisation.erasure_reminded_at = None
    organisation.save(update_fields=["cancelled_at", "erasure_reminded_at"])
    send_cancellation_notice.delay_on_commit(organisation.pk, None)


def _administrators(organisation: Organisation):
    return Membership.all_tenants.filter(
        organisation=organisation, role__in=[Role.MAIN_ADMIN, Role.ADMIN]
    ).select_related("user")


def cancellation_notice_send(*, organisation_id: int, cancelled_at: str | None) -> int:
    """Confirm a cancellation (``cancelled_at`` its time) or its withdrawal (None) to the
    administrators. Nothing is sent when the organisation has changed state since (a notice
    that no longer holds), so a late or repeated task never contradicts the current state."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    current = organisation.cancelled_at and organisation.cancelled_at.isoformat()
    if current != cancelled_at:
        return 0
    link = settings.SITE_URL + reverse("cloud:cancellation", kwargs={"org": organisation.slug})
    sent = 0
    with translation.override("de"):
        subject = (
            _("OPTIGEM CX: Kündigung von %(name)s bestätigt")
            if cancelled_at
            else _("OPTIGEM CX: Kündigung von %(name)s zurückgenommen")
        ) % {"name": organisation.name}
        for membership in _administrators(organisation):
            blocked = _send(
                to=membership.user.email,
                subject=subject,
                template="cloud/mail/cancellation_notice.txt",
                context={"organisation": organisation, "link": link},
            )
            sent += blocked is None
    return sent


def erasure_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the administrators of each organisation a week before its data is erased.

    Safe to run twice: the organisation is claimed (``erasure_reminded_at``) before any mail
    goes out, so a retry or a second run mails nobody again. If the very first mail fails,
    nobody has been reminded: the claim is given back and the error raised for the task's
    retry. A later administrator's failure is logged and not retried (the others have theirs).
    """
    now = now or timezone.now()
    count = 0
    for organisation in Organisation.objects.due_for_reminder(now=now):
        claimed = Organisation.objects.filter(
            pk=organisation.pk, erasure_reminded_at__isnull=True
        ).update(erasure_reminded_at=now)
        if not claimed:
            continue
        link = settings.SITE_URL + reverse("cloud:cancellation", kwargs={"org": organisation.slug})
        mailed = failed = 0
        with translation.override("de"):
            for membership in _administrators(organisation):
                try:
                    blocked = _send(
                        to=membership.user.email,
                        subject=_("OPTIGEM CX: Ihre Daten werden in einer Woche gelöscht"),
                        template="cloud/mail/erasure_reminder.txt",
                        context={"organisation": organisation, "link": link},
                    )
                except OSError:  # smtplib's errors included
                    if not mailed:
                        Organisation.objects.filter(pk=organisation.pk).update(
                            erasure_reminded_at=None
                        )
                        raise
                    failed += 1
                    continue
                mailed += blocked is None
        if failed:
            logger.warning(
                "cloud.erasure_reminder.partly_failed organisation=%s failed=%s",
                organisation.pk,
                failed,
            )
        count += 1
    return count


def organisation_files_remove(*, names: list[str]) -> None:
    """Remove uploaded files through the storage API (after commit: a rollback keeps them).

    Only the storage is asked, never a filesystem path, so ``STORAGES["default"]`` may point
    at object storage. A file already gone counts as removed (safe to run twice).
    """

    def remove() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove)


def organisation_users_erase(*, organisation_ids: list[int]) -> int:
    """Delete the accounts whose every membership is in ``organisation_ids``.

    Called inside the organisation's deletion, before its memberships go. Users of another
    organisation keep their account and those memberships; staff keep their account.
    """
    User = get_user_model()
    members = Membership.all_tenants.filter(organisation_id__in=organisation_ids)
    elsewhere = Membership.all_tenants.exclude(organisation_id__in=organisation_ids)
    users = User.objects.filter(pk__in=members.values("user_id"), is_staff=False).exclude(
        pk__in=elsewhere.values("user_id")
    )
    deleted, _per_model = users.delete()
    return deleted


# Own account


def account_delete(*, user) -> None:
    """Delete a user's cloud account, unless an organisation would lose its last main admin."""
    sole = [
        m.organisation.name
        for m in Membership.all_tenants.filter(user=user, role=Role.MAIN_ADMIN).select_related(
            "organisation"
        )
        if not _other_main_admin_exists(m)
    ]
    if sole:
        raise ValidationError(
            _(
                "Sie sind der einzige Haupt-Administrator von %(names)s. Bitte ernennen Sie "
                "zuerst einen anderen Haupt-Administrator."
            )
            % {"names": ", ".join(sole)}
        )
    with transaction.atomic():
        Invitation.all_tenants.filter(
            Q(email=normalise_email(user.email)) & Q(accepted_at__isnull=False)
        ).delete()
        if user.is_staff:
            Membership.all_tenants.filter(user=user).delete()
            Account.objects.filter(user=user).delete()
        else:
            user.delete()
