"""Newsletter subscriptions, customer contacts, mailings, their deliveries and the suppression list."""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.digests import address_digest, normalise_email

CONFIRMATION_PERIOD = timedelta(hours=72)


class Channel(models.TextChoices):
    """How a withdrawal, opt-out or block reached us (the proof of it, Art. 7(1) GDPR)."""

    LINK = "link", _("Abmeldelink in der E-Mail")
    ONE_CLICK = "one-click", _("Ein-Klick-Abmeldung des E-Mail-Programms (RFC 8058)")
    LETTER = "letter", _("Brief")
    EMAIL = "email", _("E-Mail")
    FAX = "fax", _("Fax")
    PHONE = "phone", _("Telefon")
    IN_PERSON = "in-person", _("persönlich")
    DSAR = "dsar", _("Antrag einer betroffenen Person")
    STAFF = "staff", _("Eintrag durch Mitarbeiter")


WRITTEN_CHANNELS = [
    (c.value, c.label)
    for c in (Channel.LETTER, Channel.EMAIL, Channel.FAX, Channel.PHONE, Channel.IN_PERSON)
]


class ConsentTextQuerySet(models.QuerySet["ConsentText"]):
    def current(self, language: str) -> "ConsentText | None":
        """The newest version in ``language``, else the newest German one."""
        return (
            self.filter(language=language).order_by("-version").first()
            or self.filter(language="de").order_by("-version").first()
        )


class ConsentText(models.Model):
    """A published wording of the newsletter consent; never changed, only superseded."""

    version = models.PositiveIntegerField(_("Version"))
    language = models.CharField(_("Sprache"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("Text der Einwilligung"), max_length=5000)
    sha256 = models.CharField(_("SHA-256 des Textes"), max_length=64, editable=False)
    published_at = models.DateTimeField(_("veröffentlicht"))

    objects = ConsentTextQuerySet.as_manager()

    class Meta:
        verbose_name = _("Einwilligungstext")
        verbose_name_plural = _("Einwilligungstexte")
        ordering = ["-version", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language"], name="newsletter_consent_version_unique"
            ),
        ]

    def __str__(self):
        return _("Version %(version)s (%(language)s)") % {
            "version": self.version,
            "language": self.language,
        }

    def save(self, *args, **kwargs):
        self.sha256 = hashlib.sha256(self.text.encode()).hexdigest()
        super().save(*args, **kwargs)


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("unbestätigt")
    SUBSCRIBED = "subscribed", _("angemeldet")
    UNSUBSCRIBED = "unsubscribed", _("abgemeldet")


ACTIVE_STATUSES = (SubscriberStatus.PENDING, SubscriberStatus.SUBSCRIBED)


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def confirmed(self):
        return self.filter(status=SubscriberStatus.SUBSCRIBED)

    def unconfirmed_expired(self, *, now: datetime):
        return self.filter(
            status=SubscriberStatus.PENDING, requested_at__lte=now - CONFIRMATION_PERIOD
        )


class Subscriber(models.Model):
    """One subscription with its proof of consent and, after a withdrawal, the proof of that.

    An address has at most one active (pending or confirmed) row; withdrawn rows stay as
    evidence until their retention rule removes them, so a later re-subscription starts a new row.
    """

    email = models.EmailField(_("E-Mail-Adresse"))
    address_hash = models.CharField(_("Schlüssel-Hash der Adresse"), max_length=64, db_index=True)
    name = models.CharField(_("Name"), max_length=150, blank=True)
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.PENDING,
    )
    language = models.CharField(_("Sprache"), max_length=8, choices=settings.LANGUAGES)
    consent_text = models.ForeignKey(
        ConsentText, verbose_name=_("Einwilligungstext"), on_delete=models.PROTECT
    )
    consent_version = models.PositiveIntegerField(_("Version des Einwilligungstexts"))
    consent_hash = models.CharField(_("SHA-256 des Einwilligungstexts"), max_length=64)
    form = models.CharField(_("Formular"), max_length=64)
    requested_at = models.DateTimeField(_("angefragt"))
    confirmed_at = models.DateTimeField(_("bestätigt"), null=True, blank=True)
    confirmation_message_id = models.CharField(
        _("Message-ID der Bestätigungsmail"), max_length=255, blank=True
    )
    confirm_nonce = models.CharField(max_length=32, blank=True, editable=False)
    # The confirmation mail as a row first: owed until sent (the sweep sends what is owed), and
    # when the last one went out (at most one per address per 24 hours).
    confirmation_due = models.BooleanField(_("Bestätigungsmail ausstehend"), default=False)
    confirmation_sent_at = models.DateTimeField(
        _("Bestätigungsmail gesendet"), null=True, blank=True
    )
    unsubscribed_at = models.DateTimeField(_("abgemeldet"), null=True, blank=True)
    unsubscribe_channel = models.CharField(
        _("Abmeldeweg"), max_length=16, choices=Channel.choices, blank=True
    )
    unsubscribe_reference = models.CharField(
        _("Aktenzeichen der Abmeldung"), max_length=100, blank=True
    )

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("Newsletter-Abonnent")
        verbose_name_plural = _("Newsletter-Abonnenten")
        ordering = ["-requested_at"]
        indexes = [models.Index(Upper("email"), name="newsletter_subscriber_upper")]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="newsletter_subscriber_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriberStatus.values),
                name="newsletter_subscriber_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=SubscriberStatus.SUBSCRIBED)
                | models.Q(confirmed_at__isnull=False),
                name="newsletter_subscriber_confirmed_has_time",
            ),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        self.address_hash = address_digest(self.email)
        super().save(*args, **kwargs)

    @property
    def confirmation_expires_at(self) -> datetime:
        return self.requested_at + CONFIRMATION_PERIOD


class Relationship(models.TextChoices):
    CUSTOMER = "customer", _("Kunde")
    PROSPECT = "prospect", _("Interessent")


PROSPECT_CONSENT_MISSING = _(
    "Für Interessenten sind Datum und Nachweis der Einwilligung nötig: ohne Einwilligung "
    "erhalten sie keine Kundenmails."
)
# Prospects without recorded consent (entered before it was recorded): no customer mail.
PROSPECT_WITHOUT_CONSENT = models.Q(relationship=Relationship.PROSPECT) & (
    models.Q(consent_on__isnull=True) | models.Q(consent_evidence="")
)


class Customer(models.Model):
    """A customer or prospect with a close relationship, who receives customer mails (§2.4)."""

    name = models.CharField(_("Name"), max_length=150, blank=True)
    email = models.EmailField(_("E-Mail-Adresse"), unique=True)
    address_hash = models.CharField(_("Schlüssel-Hash der Adresse"), max_length=64, db_index=True)
    organisation = models.CharField(_("Organisation"), max_length=200, blank=True)
    relationship = models.CharField(
        _("Beziehung"), max_length=16, choices=Relationship.choices, default=Relationship.CUSTOMER
    )
    source = models.CharField(_("Herkunft der Daten"), max_length=200)
    # A prospect gets customer mails only with consent (§ 7 Abs. 2 UWG; the footer says so):
    # when and how it was given is kept as the proof.
    consent_on = models.DateField(
        _("Einwilligung vom"),
        null=True,
        blank=True,
        help_text=_("Nur für Interessenten: ohne Einwilligung erhalten sie keine Kundenmails."),
    )
    consent_evidence = models.CharField(
        _("Nachweis der Einwilligung"),
        max_length=200,
        blank=True,
        help_text=_("Wie und wo eingewilligt wurde, z. B. „Messe, unterschriebenes Formular“."),
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert"), auto_now=True)

    class Meta:
        verbose_name = _("Kunde oder Interessent")
        verbose_name_plural = _("Kunden und Interessenten")
        ordering = ["organisation", "name", "email"]
        indexes = [models.Index(Upper("email"), name="newsletter_customer_upper")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(relationship__in=Relationship.values),
                name="newsletter_customer_relationship_valid",
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        self.address_hash = address_digest(self.email)
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.relationship == Relationship.PROSPECT:
            if not self.consent_on:
                errors["consent_on"] = PROSPECT_CONSENT_MISSING
            if not self.consent_evidence:
                errors["consent_evidence"] = PROSPECT_CONSENT_MISSING
        if self.consent_on and self.consent_on > timezone.localdate():
            errors["consent_on"] = _("Das Datum liegt in der Zukunft.")
        if errors:
            raise ValidationError(errors)


class MailingKind(models.TextChoices):
    NEWSLETTER = "newsletter", _("Newsletter")
    CUSTOMER = "customer", _("Kundenmail")


class MailingStatus(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    QUEUED = "queued", _("wird vorbereitet")
    SENDING = "sending", _("wird versendet")
    SENT = "sent", _("versendet")


def quarter_of(moment: datetime) -> tuple[int, int, datetime, datetime]:
    """(year, quarter, start, end) of the calendar quarter ``moment`` falls in, local time."""
    from django.utils import timezone

    local = timezone.localtime(moment)
    quarter = (local.month - 1) // 3 + 1
    start = local.replace(month=3 * quarter - 2, day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = (local.year + 1, 1) if quarter == 4 else (local.year, 3 * quarter + 1)
    end = start.replace(year=year, month=month)
    return local.year, quarter, start, end


class MailingQuerySet(models.QuerySet):
    def newsletters_in_quarter(self, *, now: datetime):
        """Newsletter issues whose sending started in the quarter of ``now``."""
        _year, _quarter, start, end = quarter_of(now)
        return self.filter(
            kind=MailingKind.NEWSLETTER, queued_at__gte=start, queued_at__lt=end
        ).order_by("queued_at")


class Mailing(models.Model):
    """A newsletter issue or a customer mail, written in Markdown, sent once to its audience.

    Who wrote and sent it is in the audit log, so the mailing itself names no person.
    """

    kind = models.CharField(
        _("Art"), max_length=16, choices=MailingKind.choices, default=MailingKind.NEWSLETTER
    )
    relationship = models.CharField(
        _("Empfänger der Kundenmail"),
        max_length=16,
        choices=Relationship.choices,
        blank=True,
        help_text=_("Nur für Kundenmails: leer bedeutet Kunden und Interessenten."),
    )
    subject = models.CharField(_("Betreff"), max_length=200)
    body = models.TextField(
        _("Text (Markdown)"),
        max_length=20000,
        help_text=_(
            "Markdown: **fett**, *kursiv*, [Linktext](https://…), Listen mit „- “. "
            "Bilder und eingebettete Inhalte werden nicht übernommen."
        ),
    )
    subject_en = models.CharField(
        _("Betreff (englisch)"),
        max_length=200,
        blank=True,
        help_text=_(
            "Optional. Wer den Newsletter auf Englisch abonniert hat, erhält die englische "
            "Fassung; fehlt sie, die deutsche (mit englischer Fußzeile)."
        ),
    )
    body_en = models.TextField(_("Text (Markdown, englisch)"), max_length=20000, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=MailingStatus.choices, default=MailingStatus.DRAFT
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    queued_at = models.DateTimeField(_("Versand gestartet"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Versand beendet"), null=True, blank=True)
    # The policy promises one newsletter a quarter (§2.5); a further issue needs a reason.
    extra_issue_reason = models.TextField(
        _("Begründung für eine weitere Ausgabe im selben Quartal"), max_length=1000, blank=True
    )

    objects = MailingQuerySet.as_manager()

    class Meta:
        verbose_name = _("Mailing")
        verbose_name_plural = _("Mailings (Newsletter und Kundenmails)")
        ordering = ["-created_at"]
        permissions = [("send_mailing", _("Kann Mailings versenden"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=MailingKind.values), name="newsletter_mailing_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MailingStatus.values),
                name="newsletter_mailing_status",
            ),
            # The English version is whole or absent: a subject without a text (or the other
            # way round) would send half a translation.
            models.CheckConstraint(
                condition=models.Q(subject_en="", body_en="")
                | (~models.Q(subject_en="") & ~models.Q(body_en="")),
                name="newsletter_mailing_english_whole",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the mailing is written in, German first."""
        return ("de", "en") if self.subject_en else ("de",)

    def version(self, language: str) -> tuple[str, str]:
        """(subject, Markdown body) a reader of ``language`` gets: English if written, else German."""
        if language == "en" and self.subject_en:
            return self.subject_en, self.body_en
        return self.subject, self.body

    @property
    def scope(self) -> str:
        return "newsletter" if self.kind == MailingKind.NEWSLETTER else "customer"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("wartet")
    CLAIMED = "claimed", _("in Arbeit")
    SENT = "sent", _("versendet")
    FAILED = "failed", _("fehlgeschlagen")
    SKIPPED = "skipped", _("gesperrt, nicht versendet")


class Delivery(models.Model):
    """One recipient of one mailing: created before anything is sent, marked sent exactly once."""

    mailing = models.ForeignKey(
        Mailing, verbose_name=_("Mailing"), on_delete=models.CASCADE, related_name="deliveries"
    )
    address = models.EmailField(_("E-Mail-Adresse"), blank=True)
    # NULL once anonymised: NULLs are distinct, so the unique constraint lets them coexist.
    address_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=8, default="de")
    status = models.CharField(
        _("Status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    message_id = models.CharField(_("Message-ID"), max_length=255)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("angelegt"))
    sent_at = models.DateTimeField(_("versendet"), null=True, blank=True)
    error = models.CharField(_("Grund"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("Zustellung")
        verbose_name_plural = _("Zustellungen")
        constraints = [
            models.UniqueConstraint(
                fields=["mailing", "address_hash"], name="newsletter_delivery_once_per_address"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="newsletter_delivery_status",
            ),
        ]
        indexes = [
            models.Index(fields=["mailing", "status"], name="newsletter_delivery_queue"),
            # Data-subject requests find a person's deliveries by address (``__iexact``).
            models.Index(Upper("address"), name="newsletter_delivery_addr_upper"),
        ]

    def __str__(self):
        return f"{self.mailing_id}/{self.pk} {self.status}"

    @property
    def mailing_subject(self) -> str:
        return self.mailing.subject

    mailing_subject.fget.short_description = _(  # type: ignore[attr-defined]
        "Betreff des Mailings"
    )  # label in the Art. 15 letter


class SuppressionScope(models.TextChoices):
    NEWSLETTER = "newsletter", _("Newsletter")
    CUSTOMER = "customer", _("Kundenmails (E-Mail-Sperre)")
    ALL = "all", _("alle Werbe- und Informationsmails")


class SuppressionReason(models.TextChoices):
    OPT_OUT = "opt-out", _("Abmeldung oder Widerspruch")
    WRITTEN_REQUEST = "written-request", _("schriftlicher Antrag")
    ERASURE = "erasure", _("Löschung auf Antrag, keine weiteren Mails gewünscht")
    BOUNCE = "bounce", _("Adresse nicht zustellbar")
    COMPLAINT = "complaint", _("Beschwerde")


class Suppression(models.Model):
    """A block on mailing an address, keyed by an HMAC of it so it outlives the person's data.

    ``reason`` and ``channel`` are open text: the choices above are what the site itself
    writes, other apps (data-subject requests) may name their own.
    """

    address_hash = models.CharField(_("Schlüssel-Hash der Adresse"), max_length=64)
    scope = models.CharField(_("Geltungsbereich"), max_length=16, choices=SuppressionScope.choices)
    reason = models.CharField(_("Grund"), max_length=40, choices=SuppressionReason.choices)
    channel = models.CharField(_("Eingangsweg"), max_length=40, choices=Channel.choices)
    on = models.DateField(_("Datum"))
    reference = models.CharField(_("Aktenzeichen"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("eingetragen"), auto_now_add=True)

    class Meta:
        verbose_name = _("Sperre")
        verbose_name_plural = _("Sperrliste (E-Mail-Sperren)")
        ordering = ["-on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["address_hash", "scope"], name="newsletter_suppression_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(scope__in=SuppressionScope.values),
                name="newsletter_suppression_scope",
            ),
        ]

    def __str__(self):
        return f"{self.address_hash[:12]}… ({self.get_scope_display()})"
