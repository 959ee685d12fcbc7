from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PolicyVersionQuerySet(models.QuerySet):
    def current(self):
        return self.order_by("-number").first()


class PolicyVersion(models.Model):
    """A published version of the privacy policy, bound to the registry content it described."""

    number = models.PositiveIntegerField(_("Version"), unique=True)
    changed_on = models.DateField(_("aktualisiert am"))
    summary = models.TextField(_("Was hat sich geändert?"), max_length=2000)
    registry_hash = models.CharField(_("Prüfsumme des Verzeichnisses"), max_length=64)
    consent_hash = models.CharField(_("Prüfsumme der Cookies"), max_length=64)
    published_at = models.DateTimeField(_("veröffentlicht"))

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Version der Datenschutzerklärung")
        verbose_name_plural = _("Versionen der Datenschutzerklärung")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="policy_number_positive"
            ),
        ]

    def __str__(self):
        return _("Version %(number)s vom %(date)s") % {
            "number": self.number,
            "date": self.changed_on.strftime("%d.%m.%Y"),
        }


class AuditAction(models.TextChoices):
    VIEW = "view", _("angesehen")
    CREATE = "create", _("angelegt")
    CHANGE = "change", _("geändert")
    DELETE = "delete", _("gelöscht")
    EXPORT = "export", _("exportiert")
    ERASE = "erase", _("gelöscht (Betroffenenrecht)")
    RESTRICT = "restrict", _("eingeschränkt")
    UNRESTRICT = "unrestrict", _("Einschränkung aufgehoben")
    SEND = "send", _("versendet")


class AuditEntry(models.Model):
    """Who viewed or changed which personal record, and when; it names records, never their data."""

    at = models.DateTimeField(_("Zeitpunkt"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Mitarbeiter/in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("Aktion"), max_length=16, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("Art des Datensatzes"), on_delete=models.PROTECT
    )
    object_id = models.CharField(_("Datensatz"), max_length=64)
    fields = models.JSONField(_("Felder"), default=list, blank=True)
    note = models.CharField(_("Vermerk"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Zugriffsprotokoll")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.content_type} #{self.object_id}"


class LegalHoldQuerySet(models.QuerySet):
    def active(self, *, today):
        """Holds in force on ``today`` (the until-date is the last day a hold keeps data)."""
        return self.filter(until__gte=today)


class LegalHold(models.Model):
    """A hold set by staff: the deletion run keeps the named rows until ``until`` (inclusive).

    A hold names either one row of a personal-data holder (``content_type`` and ``object_id``)
    or every row of every holder found under an e-mail address, now and later. The until-date
    is required, so no hold can keep data forever by being forgotten; staff extend it instead.
    """

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("Art des Datensatzes"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    object_id = models.CharField(_("Datensatz-Nummer"), max_length=64, blank=True)
    email = models.EmailField(_("E-Mail-Adresse"), blank=True)
    reason = models.CharField(
        _("Grund"),
        max_length=200,
        help_text=_("Zum Beispiel Aktenzeichen eines Rechtsstreits oder einer Betriebsprüfung."),
    )
    until = models.DateField(
        _("gilt bis einschließlich"),
        help_text=_("Danach löscht der nächste Löschlauf die Daten, wenn nichts anderes gilt."),
    )
    created_at = models.DateTimeField(_("angelegt"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("angelegt von"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("Löschsperre")
        verbose_name_plural = _("Löschsperren")
        ordering = ["-until", "-id"]
        # Discovery and the deletion run look holds up by address (``email__iexact``).
        indexes = [models.Index(Upper("email"), name="privacy_legalhold_email_upper")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(content_type__isnull=False, email="") & ~models.Q(object_id=""))
                | (models.Q(content_type__isnull=True, object_id="") & ~models.Q(email="")),
                name="legal_hold_one_target",
            ),
        ]

    def __str__(self):
        return _("Löschsperre Nr. %(id)s (bis %(until)s)") % {
            "id": self.pk,
            "until": self.until.strftime("%d.%m.%Y"),
        }


class DeletionRunStatus(models.TextChoices):
    RUNNING = "running", _("läuft")
    FINISHED = "finished", _("abgeschlossen")
    FAILED = "failed", _("mit Fehlern beendet")
    ABORTED = "aborted", _("abgebrochen")


class DeletionRun(models.Model):
    """One run of the deletion: when, and per rule how many rows went or were held back and why.

    ``rules`` holds one entry per retention rule with rule keys, model labels, counts and
    reason keys only; ``errors`` names the rule and the exception class. Neither ever holds
    a value from a deleted row, so the record itself contains no personal data.
    """

    started_at = models.DateTimeField(_("begonnen"), db_index=True)
    finished_at = models.DateTimeField(_("beendet"), null=True, blank=True)
    as_of = models.DateTimeField(_("Stichzeitpunkt"))
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=DeletionRunStatus.choices,
        default=DeletionRunStatus.RUNNING,
    )
    started_by = models.CharField(_("ausgelöst durch"), max_length=32)
    rules = models.JSONField(_("Ergebnis je Regel"), default=list, blank=True)
    errors = models.JSONField(_("Fehler"), default=list, blank=True)

    class Meta:
        verbose_name = _("Löschlauf")
        verbose_name_plural = _("Löschläufe")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeletionRunStatus.values),
                name="deletion_run_status_valid",
            ),
        ]

    def __str__(self):
        return _("Löschlauf vom %(at)s") % {
            "at": timezone.localtime(self.started_at).strftime("%d.%m.%Y %H:%M")
        }


class DeletionLock(models.Model):
    """The database lease that keeps two deletion runs apart when no Redis is configured.

    A run owns the lease while ``token`` is its token and ``expires_at`` lies ahead; it renews
    the lease after every batch, so a crashed worker's lease simply runs out.
    """

    name = models.CharField(max_length=64, primary_key=True)
    token = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Sperre des Löschlaufs")
        verbose_name_plural = _("Sperren des Löschlaufs")

    def __str__(self):
        return self.name
