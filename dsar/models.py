"""Written data-subject requests (Art. 15–18 GDPR) and restrictions of processing (Art. 18).

A request holds the requester's details only while it is open; on completion it is reduced
to what proves the answer (dates, channel, rights, identity method, outcome, a keyed hash of
the address) and kept three years. A restriction stores only the keyed hash of the address.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.digests import address_digest, normalise_email

from . import clock


class Channel(models.TextChoices):
    LETTER = "letter", _("Brief")
    FAX = "fax", _("Fax")
    SIGNED_EMAIL = "signed-email", _("signierte E-Mail")
    IN_PERSON = "in-person", _("persönlich")


class IdentityMethod(models.TextChoices):
    CODE_BY_POST = "code-by-post", _("Bestätigungscode an die bei uns hinterlegte Postanschrift")
    CODE_BY_EMAIL = (
        "code-by-email",
        _("Bestätigungscode an die bei uns hinterlegte E-Mail-Adresse"),
    )
    SIGNATURE = "signature", _("Signatur der E-Mail geprüft")
    IN_PERSON = "in-person", _("persönlich vorgesprochen, Ausweis angesehen (keine Kopie)")
    KNOWN_CONTACT = "known-contact", _("Angaben stimmen mit unseren Unterlagen überein")


class Status(models.TextChoices):
    OPEN = "open", _("offen")
    COMPLETED = "completed", _("abgeschlossen")


class RestrictionGround(models.TextChoices):
    ACCURACY = "accuracy", _("Richtigkeit bestritten (Art. 18 Abs. 1 lit. a DSGVO)")
    UNLAWFUL = "unlawful", _("unrechtmäßig, Einschränkung statt Löschung (lit. b)")
    LEGAL_CLAIMS = "legal-claims", _("zur Geltendmachung von Rechtsansprüchen benötigt (lit. c)")
    OBJECTION = "objection", _("Widerspruch eingelegt, Prüfung läuft (lit. d)")


class SubjectRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Status.OPEN)

    def due_within(self, days: int, *, today):
        """Open requests whose deadline is at most ``days`` away (or already passed)."""
        return self.open().filter(due_on__lte=today + timedelta(days=days))

    def identity_unstarted(self, days: int, *, today):
        """Open requests received at least ``days`` ago whose identity check has not started.

        Their deadline does not run yet, so without this flag they would rest unseen.
        """
        return self.open().filter(
            identity_verified_on__isnull=True,
            identity_check_started_on__isnull=True,
            received_on__lte=today - timedelta(days=days),
        )

    def for_address(self, address: str):
        return self.filter(email__iexact=normalise_email(address))


class SubjectRequest(models.Model):
    """A written request of a data subject, handled by the Datenschutz group."""

    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    requester_name = models.CharField(_("Name laut Schreiben"), max_length=200)
    email = models.EmailField(
        _("E-Mail-Adresse"),
        blank=True,
        help_text=_("Wie im Schreiben angegeben; nach dem Abschluss nur noch als Prüfwert."),
    )
    email_digest = models.CharField(_("Prüfwert der E-Mail-Adresse"), max_length=64, blank=True)
    postal_address = models.TextField(_("Postanschrift laut Schreiben"), max_length=500, blank=True)
    channel = models.CharField(_("Eingangsweg"), max_length=16, choices=Channel.choices)
    received_on = models.DateField(_("eingegangen am"))
    letter_reference = models.CharField(
        _("Ablage des Schreibens"),
        max_length=100,
        help_text=_("Aktenzeichen oder Ablageort des Originals, z. B. „DS-2026-014“."),
    )
    wants_access = models.BooleanField(_("Auskunft (Art. 15)"), default=False)
    wants_rectification = models.BooleanField(_("Berichtigung (Art. 16)"), default=False)
    wants_erasure = models.BooleanField(_("Löschung (Art. 17)"), default=False)
    wants_restriction = models.BooleanField(_("Einschränkung (Art. 18)"), default=False)
    wants_no_mail = models.BooleanField(
        _("keine E-Mails mehr"),
        default=False,
        help_text=_("Die Adresse kommt nach der Löschung auf die E-Mail-Sperrliste."),
    )
    identity_check_started_on = models.DateField(
        _("Identitätsprüfung begonnen am"),
        null=True,
        blank=True,
        help_text=_("Leer: die Frist ruht ab Eingang, bis die Identität geprüft ist."),
    )
    identity_method = models.CharField(
        _("Identität geprüft durch"), max_length=16, choices=IdentityMethod.choices, blank=True
    )
    identity_verified_on = models.DateField(_("Identität geprüft am"), null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(_("Verlängerung (Monate)"), default=0)
    extension_reason = models.TextField(_("Grund der Verlängerung"), max_length=2000, blank=True)
    extended_on = models.DateField(_("verlängert am"), null=True, blank=True)
    extension_informed_on = models.DateField(
        _("über die Verlängerung unterrichtet am"), null=True, blank=True
    )
    due_on = models.DateField(_("fällig am"), null=True, blank=True, editable=False)
    completed_on = models.DateField(_("abgeschlossen am"), null=True, blank=True, editable=False)
    outcome = models.JSONField(_("Ergebnis"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("erfasst"), default=timezone.now, editable=False)
    # The daily reminder claims a request (committed) before the SMTP hand-off and settles it
    # after: ``reminded_on`` is the day it was last named, the claim keeps a second worker (or
    # a retry) from naming it again while the first one's mail is on its way.
    reminded_on = models.DateField(_("zuletzt erinnert am"), null=True, blank=True, editable=False)
    reminder_claim = models.CharField(max_length=32, blank=True, editable=False)
    reminder_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SubjectRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("Betroffenenanfrage")
        verbose_name_plural = _("Betroffenenanfragen")
        ordering = ["status", "due_on", "received_on"]
        indexes = [
            models.Index(Upper("email"), name="dsar_request_email_upper"),
            models.Index(fields=["status", "due_on"], name="dsar_request_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="dsar_request_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="dsar_request_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(identity_method__in=[*IdentityMethod.values, ""]),
                name="dsar_request_identity_method_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(wants_access=True)
                | models.Q(wants_rectification=True)
                | models.Q(wants_erasure=True)
                | models.Q(wants_restriction=True),
                name="dsar_request_asks_for_a_right",
                violation_error_message=_("Bitte mindestens ein gewünschtes Recht ankreuzen."),
            ),
            models.CheckConstraint(
                condition=models.Q(identity_verified_on__isnull=True)
                | ~models.Q(identity_method=""),
                name="dsar_request_verified_how",
                violation_error_message=_("Bitte angeben, wie die Identität geprüft wurde."),
            ),
            models.CheckConstraint(
                condition=models.Q(extension_months__lte=clock.MAX_EXTENSION_MONTHS),
                name="dsar_request_extension_at_most_two_months",
            ),
            models.CheckConstraint(
                condition=models.Q(extension_months=0, extended_on__isnull=True)
                | (
                    models.Q(extension_months__gte=1, extended_on__isnull=False)
                    & ~models.Q(extension_reason="")
                ),
                name="dsar_request_extension_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status=Status.OPEN, completed_on__isnull=True)
                | models.Q(status=Status.COMPLETED, completed_on__isnull=False),
                name="dsar_request_completed_has_date",
            ),
        ]

    def __str__(self):
        return _("Anfrage Nr. %(id)s vom %(date)s") % {
            "id": self.pk,
            "date": self.received_on.strftime("%d.%m.%Y"),
        }

    def save(self, *args, **kwargs):
        self.due_on = self.compute_due_on()
        self.email = self.email.strip()
        if self.email:
            self.email_digest = address_digest(self.email)
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.received_on and self.received_on > timezone.localdate():
            errors["received_on"] = _("Das Eingangsdatum liegt in der Zukunft.")
        if self.received_on and self.identity_verified_on:
            if self.identity_verified_on < self.received_on:
                errors["identity_verified_on"] = _("Die Prüfung liegt vor dem Eingang.")
            started = self.identity_check_started_on
            if started and not self.received_on <= started <= self.identity_verified_on:
                errors["identity_check_started_on"] = _(
                    "Die Prüfung beginnt nach dem Eingang und vor ihrem Ergebnis."
                )
        if self.identity_method and not self.identity_verified_on:
            errors["identity_verified_on"] = _("Bitte das Datum der Prüfung angeben.")
        if errors:
            raise ValidationError(errors)

    def compute_due_on(self):
        return clock.due_date(
            received_on=self.received_on,
            identity_check_started_on=self.identity_check_started_on,
            identity_verified_on=self.identity_verified_on,
            extension_months=self.extension_months,
        )

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def clock_paused(self) -> bool:
        return self.is_open and self.identity_verified_on is None

    def identity_unstarted_for(self, *, today) -> int | None:
        """Days since receipt if the identity check has not started; else None."""
        if not self.clock_paused or self.identity_check_started_on is not None:
            return None
        return (today - self.received_on).days

    def is_overdue(self, *, today) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today

    @property
    def rights_display(self) -> list[str]:
        fields = [
            self._meta.get_field(name)
            for name in (
                "wants_access",
                "wants_rectification",
                "wants_erasure",
                "wants_restriction",
            )
        ]
        return [
            str(field.verbose_name)
            for field in fields
            if isinstance(field, models.Field) and getattr(self, field.name)
        ]


class RestrictionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(lifted_at__isnull=True)

    def for_address(self, address: str):
        return self.filter(email_digest=address_digest(address))


class Restriction(models.Model):
    """A restriction of processing (Art. 18, "Sperrung"): kept, not mailed, not changed."""

    email_digest = models.CharField(_("Prüfwert der E-Mail-Adresse"), max_length=64)
    request = models.ForeignKey(
        SubjectRequest,
        verbose_name=_("Anfrage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="restrictions",
    )
    ground = models.CharField(_("Grund"), max_length=16, choices=RestrictionGround.choices)
    restricted_at = models.DateTimeField(_("eingeschränkt seit"), default=timezone.now)
    lifted_at = models.DateTimeField(_("aufgehoben am"), null=True, blank=True)
    lift_reason = models.TextField(_("Grund der Aufhebung"), max_length=2000, blank=True)

    objects = RestrictionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Einschränkung der Verarbeitung")
        verbose_name_plural = _("Einschränkungen der Verarbeitung")
        ordering = ["-restricted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email_digest"],
                condition=models.Q(lifted_at__isnull=True),
                name="dsar_one_active_restriction_per_address",
            ),
            models.CheckConstraint(
                condition=models.Q(ground__in=RestrictionGround.values),
                name="dsar_restriction_ground_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(lifted_at__isnull=True) | ~models.Q(lift_reason=""),
                name="dsar_restriction_lift_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["email_digest"], name="dsar_restriction_digest")]

    def __str__(self):
        return _("Einschränkung Nr. %(id)s") % {"id": self.pk}
