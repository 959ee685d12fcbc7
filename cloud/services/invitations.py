"""Invitations into an organisation: created, mailed, opened by their signed link, accepted."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.audit import audit_log
from privacy.digests import normalise_email
from privacy.models import AuditAction

from ..models import (
    Account,
    Invitation,
    MailKind,
    MailState,
    Membership,
    Organisation,
    OutgoingMail,
)
from .mails import Letter, outgoing_mails_queue

INVITATION_SALT = "cloud.invitation"


def _invitation_mail_queue(invitation: Invitation) -> None:
    outgoing_mails_queue(
        mails=[
            OutgoingMail(
                kind=MailKind.INVITATION, recipient=invitation.email, invitation=invitation
            )
        ]
    )


def invitation_create(*, organisation: Organisation, email: str, role: str) -> Invitation:
    """Record the invitation with its mail, which goes out after commit (a row first, so a
    broker or mail server outage delays it, never loses it)."""
    invitation = Invitation(
        organisation=organisation,
        email=normalise_email(email),
        role=role,
        expires_at=timezone.now() + timedelta(days=settings.CLOUD_INVITATION_DAYS),
    )
    invitation.full_clean()
    with transaction.atomic():
        invitation.save()
        _invitation_mail_queue(invitation)
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_mail(mail: OutgoingMail, *, now: datetime) -> Letter | None:
    """The invitation with its link (signed when sent), or None once it is accepted, expired
    or its organisation cancelled."""
    invitation = mail.invitation
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.expires_at <= now
        or invitation.organisation.is_read_only
    ):
        return None
    link = settings.SITE_URL + reverse(
        "cloud:invitation_open", kwargs={"token": invitation_token(invitation)}
    )
    return Letter(
        subject=_("Einladung zu OPTIGEM CX: %(name)s") % {"name": invitation.organisation},
        template="cloud/mail/invitation.txt",
        context={"invitation": invitation, "link": link},
    )


# What Invitation.blocked_by says when the mail server refused the address for good.
REFUSED_BY = "mail-server"


def invitation_mail_settled(
    *, invitation_id: int, state: str, blocked_by: str, now: datetime
) -> None:
    """Show on the members page whether the invitation went out, an address block kept it, or
    the mail server refused the address (``REFUSED_BY``: a typing error, most likely)."""
    if state in (MailState.SENT, MailState.BLOCKED, MailState.REFUSED):
        Invitation.all_tenants.filter(pk=invitation_id).update(
            sent_at=now if state == MailState.SENT else None,
            blocked_by=REFUSED_BY if state == MailState.REFUSED else blocked_by,
        )


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


def invitation_revoke(*, invitation: Invitation, by=None) -> None:
    """Withdraw an open invitation: its link then says it was withdrawn (audited)."""
    if invitation.accepted_at is not None:
        raise ValidationError(_("Diese Einladung wurde bereits angenommen."))
    with transaction.atomic():
        audit_log(actor=by, action=AuditAction.DELETE, obj=invitation, note="invitation revoked")
        invitation.delete()


def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Mail an open invitation again with a fresh link and a fresh validity period; a mail of
    it still waiting is replaced by the new one."""
    if invitation.accepted_at is not None:
        raise ValidationError(_("Diese Einladung wurde bereits angenommen."))
    now = timezone.now()
    invitation.expires_at = now + timedelta(days=settings.CLOUD_INVITATION_DAYS)
    invitation.sent_at = None
    invitation.blocked_by = ""
    with transaction.atomic():
        invitation.save(update_fields=["expires_at", "sent_at", "blocked_by"])
        invitation.mails.unsent().update(state=MailState.OBSOLETE, settled_at=now)
        _invitation_mail_queue(invitation)
    return invitation
