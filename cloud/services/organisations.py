"""An organisation's life: its set-up, its cancellation and the notices and reminders of it."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import MailKind, Membership, Organisation, OutgoingMail, Role
from .invitations import invitation_create
from .mails import Letter, outgoing_mails_queue


def organisation_create(*, name: str, slug: str, main_admin_email: str) -> Organisation:
    """Create a tenant and invite its first main administrator (OPTIGEM's central set-up)."""
    organisation = Organisation(name=name, slug=slug)
    organisation.full_clean()
    with transaction.atomic():
        organisation.save()
        invitation_create(organisation=organisation, email=main_admin_email, role=Role.MAIN_ADMIN)
    return organisation


def _administrators(organisation: Organisation):
    return Membership.all_tenants.filter(
        organisation=organisation, role__in=[Role.MAIN_ADMIN, Role.ADMIN]
    ).select_related("user")


def _administrator_mails_queue(organisation: Organisation, *, kind: str) -> None:
    """A mail of ``kind`` to each administrator, bound to the organisation's cancellation as
    it is now (a mail the organisation no longer matches when it is sent is not sent)."""
    outgoing_mails_queue(
        mails=[
            OutgoingMail(
                kind=kind,
                recipient=membership.user.email,
                user=membership.user,
                organisation=organisation,
                cancelled_at=organisation.cancelled_at,
            )
            for membership in _administrators(organisation)
            if membership.user.email
        ]
    )


def organisation_cancel(*, organisation: Organisation, now: datetime | None = None) -> None:
    organisation.cancelled_at = now or timezone.now()
    organisation.erasure_reminded_at = None
    with transaction.atomic():
        organisation.save(update_fields=["cancelled_at", "erasure_reminded_at"])
        _administrator_mails_queue(organisation, kind=MailKind.CANCELLATION_CONFIRMED)


def organisation_withdraw_cancellation(*, organisation: Organisation) -> None:
    organisation.cancelled_at = None
    organisation.erasure_reminded_at = None
    with transaction.atomic():
        organisation.save(update_fields=["cancelled_at", "erasure_reminded_at"])
        _administrator_mails_queue(organisation, kind=MailKind.CANCELLATION_WITHDRAWN)


def _organisation_as_written(mail: OutgoingMail) -> Organisation | None:
    """The mail's organisation if it is still in the state the mail was written for (so a
    late or repeated mail never contradicts the current state), else None."""
    organisation = mail.organisation
    if organisation is None or organisation.cancelled_at != mail.cancelled_at:
        return None
    return organisation


def cancellation_notice_mail(mail: OutgoingMail, *, now: datetime) -> Letter | None:
    """Confirm a cancellation or its withdrawal to an administrator, if it still holds."""
    organisation = _organisation_as_written(mail)
    if organisation is None:
        return None
    link = settings.SITE_URL + reverse("cloud:cancellation", kwargs={"org": organisation.slug})
    subject = (
        _("OPTIGEM CX: Kündigung von %(name)s bestätigt")
        if mail.kind == MailKind.CANCELLATION_CONFIRMED
        else _("OPTIGEM CX: Kündigung von %(name)s zurückgenommen")
    ) % {"name": organisation.name}
    return Letter(
        subject=subject,
        template="cloud/mail/cancellation_notice.txt",
        context={"organisation": organisation, "link": link},
    )


def erasure_reminders_send(*, now: datetime | None = None) -> int:
    """Queue the reminder to the administrators of each organisation whose data is erased
    within a week; returns the organisations reminded.

    Safe to run twice: the organisation is claimed (``erasure_reminded_at``) in the
    transaction that writes its mails, so a second run writes none, and the outbox sends each
    mail once (a mail server outage delays them until the sweep).
    """
    now = now or timezone.now()
    count = 0
    for organisation in Organisation.objects.due_for_reminder(now=now):
        with transaction.atomic():
            claimed = Organisation.objects.filter(
                pk=organisation.pk, erasure_reminded_at__isnull=True
            ).update(erasure_reminded_at=now)
            if claimed:
                _administrator_mails_queue(organisation, kind=MailKind.ERASURE_REMINDER)
                count += 1
    return count


def erasure_reminder_mail(mail: OutgoingMail, *, now: datetime) -> Letter | None:
    """Remind an administrator of the erasure, unless the cancellation was withdrawn (or
    made anew, with a later erasure) since."""
    organisation = _organisation_as_written(mail)
    if organisation is None:
        return None
    link = settings.SITE_URL + reverse("cloud:cancellation", kwargs={"org": organisation.slug})
    return Letter(
        subject=_("OPTIGEM CX: Ihre Daten werden in einer Woche gelöscht"),
        template="cloud/mail/erasure_reminder.txt",
        context={"organisation": organisation, "link": link},
    )
