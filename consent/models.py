import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentAction(models.TextChoices):
    ACCEPT_ALL = "all", _("Alle akzeptiert")
    NECESSARY_ONLY = "necessary", _("Nur notwendige")
    CUSTOM = "custom", _("Eigene Auswahl")


# A receipt's fields in the order staff read them: the admin's form and the CSV export's columns.
RECEIPT_FIELDS = (
    "consent_id",
    "given_at",
    "action",
    "categories",
    "policy_version",
    "consent_hash",
    "texts_hash",
    "language",
)


class ConsentReceiptQuerySet(models.QuerySet):
    def for_consent_id(self, consent_id: uuid.UUID | str) -> "ConsentReceiptQuerySet":
        return self.filter(consent_id=consent_id).order_by("given_at", "pk")


class ConsentReceipt(models.Model):
    """Proof of one cookie decision (Art. 7(1) GDPR): what was chosen, under which texts, when.

    It deliberately holds nothing about the visitor but the random consent id that is also in
    the visitor's consent cookie: no IP address, no user agent.
    """

    consent_id = models.UUIDField(_("Einwilligungs-ID"), db_index=True)
    action = models.CharField(_("Entscheidung"), max_length=16, choices=ConsentAction.choices)
    categories = models.JSONField(_("erlaubte Kategorien"), default=list, blank=True)
    policy_version = models.PositiveIntegerField(
        _("Version der Datenschutzerklärung"),
        help_text=_("0, solange noch keine Version veröffentlicht war."),
    )
    consent_hash = models.CharField(_("Prüfsumme der Cookie-Angaben"), max_length=64)
    texts_hash = models.CharField(_("Prüfsumme der angezeigten Texte"), max_length=64)
    language = models.CharField(_("Sprache der Texte"), max_length=8)
    given_at = models.DateTimeField(_("Zeitpunkt"), db_index=True)

    objects = ConsentReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("Einwilligungsnachweis")
        verbose_name_plural = _("Einwilligungsnachweise")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=ConsentAction.values), name="consent_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.consent_id} · {self.given_at:%Y-%m-%d %H:%M}"
