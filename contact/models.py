"""Requests from the website's forms (contact, support, training) and the training events."""

import secrets
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import Period

# How long a guardian may confirm a pupil's request; every text that names it interpolates it.
GUARDIAN_CONFIRMATION = Period(hours=72)
GUARDIAN_CONFIRMATION_HOURS = GUARDIAN_CONFIRMATION.hours


def pupil_promise() -> str:
    """What happens to a pupil's request, in the same words on the form, in the guardian mail
    and on the guardian page (the policy's § 1.5 repeats them; a test compares)."""
    return _(
        "Bis eine erziehungsberechtigte Person zustimmt, speichern wir die Anfrage nur "
        "verschlüsselt; den Schlüssel enthält allein der Link in der E-Mail an diese Person, "
        "sodass bei uns niemand die Anfrage lesen kann. Erst mit der Zustimmung speichern wir "
        "die Anfrage lesbar und bearbeiten sie; lehnt die Person ab oder stimmt sie nicht "
        "innerhalb von %(hours)s Stunden zu, löschen wir die Anfrage."
    ) % {"hours": GUARDIAN_CONFIRMATION_HOURS}


class Kind(models.TextChoices):
    CONTACT = "contact", _("Kontaktanfrage")
    SUPPORT = "support", _("Supportanfrage")
    TRAINING = "training", _("Schulungsanmeldung")


class Status(models.TextChoices):
    NEW = "new", _("neu")
    IN_PROGRESS = "in_progress", _("in Bearbeitung")
    ANSWERED = "answered", _("beantwortet")
    CLOSED = "closed", _("abgeschlossen")


class MailState(models.TextChoices):
    """Where one mail of a request stands; UNSENT rows are the outbox the periodic task drains."""

    NOT_NEEDED = "not_needed", _("entfällt")
    WAITING = "waiting", _("wartet auf die Zustimmung der Erziehungsberechtigten")
    UNSENT = "unsent", _("noch nicht versendet")
    SENT = "sent", _("versendet")
    BLOCKED = "blocked", _("nicht versendet (E-Mail-Sperre)")


def _holding_seat(*, now=None, prefix: str = "") -> Q:
    cutoff = (now or timezone.now()) - timedelta(hours=GUARDIAN_CONFIRMATION_HOURS)
    return (
        Q(**{f"{prefix}is_minor": False})
        | Q(**{f"{prefix}guardian_confirmed_at__isnull": False})
        | Q(**{f"{prefix}created_at__gt": cutoff})
    )


class TrainingEventQuerySet(models.QuerySet):
    def upcoming(self, *, now=None):
        return self.filter(starts_at__gte=now or timezone.now()).order_by("starts_at")

    def with_seats_taken(self, *, now=None):
        """Annotate ``seats_taken`` (as ``InquiryQuerySet.holding_seat`` counts) in one query."""
        held = _holding_seat(now=now, prefix="registrations__")
        return self.annotate(seats_taken=models.Count("registrations", filter=held))


class TrainingEvent(models.Model):
    """A training course with a fixed number of seats; staff manage them in the admin."""

    title = models.CharField(_("Titel"), max_length=200)
    slug = models.SlugField(_("Kurzname in der Adresse"), max_length=80, unique=True)
    description = models.TextField(_("Beschreibung"), max_length=5000, blank=True)
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"))
    place = models.CharField(
        _("Ort"), max_length=200, blank=True, help_text=_("Leer lassen bei Online-Schulungen.")
    )
    online = models.BooleanField(_("online"), default=False)
    seats = models.PositiveIntegerField(_("Plätze"))
    registration_deadline = models.DateTimeField(_("Anmeldeschluss"))

    objects = TrainingEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("Schulungstermin")
        verbose_name_plural = _("Schulungstermine")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="training_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(online=True) | ~Q(place=""), name="training_has_place_or_online"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.starts_at):%d.%m.%Y})"

    def is_open(self, *, now=None) -> bool:
        return (now or timezone.now()) <= self.registration_deadline

    def seats_left(self, *, now=None) -> int:
        return max(0, self.seats - self.registrations.holding_seat(now=now).count())


class InquiryQuerySet(models.QuerySet):
    def awaiting_guardian(self):
        return self.filter(is_minor=True, guardian_confirmed_at__isnull=True)

    def visible_to_staff(self):
        """Requests staff may see: a minor's only after the guardian has agreed (policy §1.5)."""
        return self.exclude(is_minor=True, guardian_confirmed_at__isnull=True)

    def holding_seat(self, *, now=None):
        """Registrations that count against an event's seats (unexpired pending ones included)."""
        return self.filter(_holding_seat(now=now))

    def with_unsent_mail(self):
        return self.filter(
            Q(receipt_mail=MailState.UNSENT)
            | Q(staff_mail=MailState.UNSENT)
            | Q(guardian_mail=MailState.UNSENT)
        )


def _new_nonce() -> str:  # referenced by migration 0001 only
    return secrets.token_urlsafe(24)


class Inquiry(models.Model):
    """One submission of a form. Mail states double as the outbox, so no mail is ever lost."""

    kind = models.CharField(_("Art"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    created_at = models.DateTimeField(_("eingegangen"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    submission_key = models.UUIDField(_("Formular-Kennung"), unique=True, editable=False)
    language = models.CharField(_("Sprache"), max_length=8, default="de", editable=False)

    name = models.CharField(_("Name"), max_length=100)
    email = models.EmailField(_("E-Mail-Adresse"), max_length=254)
    organisation = models.CharField(_("Organisation"), max_length=150, blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    customer_number = models.CharField(_("Kundennummer"), max_length=30, blank=True)
    product = models.CharField(_("Produkt"), max_length=40, blank=True)
    subject = models.CharField(_("Betreff"), max_length=150, blank=True)
    message = models.TextField(_("Nachricht"), max_length=5000, blank=True)
    event = models.ForeignKey(
        TrainingEvent,
        verbose_name=_("Schulung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
    )

    is_minor = models.BooleanField(_("Schüler/in oder unter 16"), default=False)
    guardian_email = models.EmailField(_("E-Mail der Erziehungsberechtigten"), blank=True)
    # A pending pupil request (contact.pending): ciphertext, the hash of the link's key, and
    # the key wrapped for the guardian mail's outbox until that mail is settled.
    guardian_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    sealed_data = models.TextField(blank=True, editable=False)
    guardian_key_wrapped = models.TextField(blank=True, editable=False)
    guardian_confirmed_at = models.DateTimeField(
        _("Zustimmung der Erziehungsberechtigten"), null=True, blank=True
    )

    receipt_mail = models.CharField(
        _("Eingangsbestätigung"), max_length=16, choices=MailState.choices
    )
    staff_mail = models.CharField(
        _("Benachrichtigung der Mitarbeiter"), max_length=16, choices=MailState.choices
    )
    guardian_mail = models.CharField(
        _("Mail an Erziehungsberechtigte"), max_length=16, choices=MailState.choices
    )

    # The claim of the worker sending this request's mails (claim, send, settle): while it is
    # fresh no other worker sends them, and no transaction is open during the SMTP exchange.
    mail_claim = models.CharField(max_length=32, blank=True, editable=False)
    mail_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Anfrage")
        verbose_name_plural = _("Anfragen")
        ordering = ["-created_at"]
        indexes = [
            # Data-subject requests find a person's requests by either address (``__iexact``).
            models.Index(Upper("email"), name="inquiry_email_upper"),
            models.Index(Upper("guardian_email"), name="inquiry_guardian_email_upper"),
            models.Index(
                fields=["created_at"],
                name="inquiry_unsent_mail",
                condition=Q(receipt_mail="unsent")
                | Q(staff_mail="unsent")
                | Q(guardian_mail="unsent"),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="inquiry_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="inquiry_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="training", event__isnull=False)
                | (~Q(kind="training") & Q(event__isnull=True)),
                name="inquiry_event_iff_training",
            ),
            models.CheckConstraint(
                condition=Q(is_minor=False) | ~Q(guardian_email=""),
                name="inquiry_minor_has_guardian",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="inquiry_closed_has_date",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__in": MailState.values}),
                    name=f"inquiry_{field}_valid",
                )
                for field in ("receipt_mail", "staff_mail", "guardian_mail")
            ),
        ]

    def __str__(self):
        return _("%(kind)s Nr. %(number)s") % {"kind": self.get_kind_display(), "number": self.pk}

    @property
    def awaits_guardian(self) -> bool:
        return self.is_minor and self.guardian_confirmed_at is None
