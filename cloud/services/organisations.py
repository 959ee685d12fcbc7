"""An organisation's life: its set-up, its cancellation and the notices and reminders of it."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Membership, Organisation, Role
from .invitations import invitation_create
from .mails import mail_send

logger = logging.getLogger("cloud.services")


def organisation_create(*, name: str, slug: str, main_admin_email: str) -> Organisation:
    """Create a tenant and invite its first main administrator (OPTIGEM's central set-up)."""
    organisation = Organisation(name=name, slug=slug)
    organisation.full_clean()
    with transaction.atomic():
        organisation.save()
        invitation_create(organisation=organisation, email=main_admin_email, role=Role.MAIN_ADMIN)
    return organisation


def organisation_cancel(*, organisation: Organisation, now: datetime | None = None) -> None:
    from ..tasks import send_cancellation_notice

    organisation.cancelled_at = now or timezone.now()
    organisation.erasure_reminded_at = None
    organisation.save(update_fields=["cancelled_at", "erasure_reminded_at"])
    send_cancellation_notice.delay_on_commit(organisation.pk, organisation.cancelled_at.isoformat())


def organisation_withdraw_cancellation(*, organisation: Organisation) -> None:
    from ..tasks import send_cancellation_notice

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
            blocked = mail_send(
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
                    blocked = mail_send(
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
