from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersionQuerySet(models.QuerySet):
    def current(self):
        return self.order_by("-number").first()


class PolicyVersion(models.Model):
    """A published version of the privacy policy, bound to the registry content it described."""

    number = models.PositiveIntegerField(_("Version"), unique=True)
    changed_on = models.DateField(_("aktualisiert am"))
    summary = models.TextField(_("Was hat sich geändert?"))
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
