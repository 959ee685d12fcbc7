"""Organisations (tenants), their members and roles, receipts, projects, API tokens, invitations."""

import json
import uuid
from datetime import datetime
from decimal import Decimal
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import Period

from . import crypto
from .tenancy import TenantManager

# How long a cancelled organisation is kept (policy § 2.6); its retention rule and texts use it.
ERASURE_DELAY = Period(months=1)
REMINDER_BEFORE = relativedelta(weeks=1)
MAX_AMOUNT = Decimal("100000.00")
RESERVED_SLUGS = frozenset(
    {"anmelden", "abmelden", "konto", "api", "einladung", "passwort-vergessen", "en", "de"}
)


class Role(models.TextChoices):
    MAIN_ADMIN = "main_admin", _("Haupt-Administrator")
    ADMIN = "admin", _("Administrator")
    REVIEWER = "reviewer", _("Prüfer")
    SUBMITTER = "submitter", _("Einreicher")


ADMIN_ROLES = frozenset({Role.MAIN_ADMIN, Role.ADMIN})
REVIEW_ROLES = ADMIN_ROLES | {Role.REVIEWER}


class OrganisationQuerySet(models.QuerySet):
    def cancelled(self):
        return self.filter(cancelled_at__isnull=False)

    def due_for_reminder(self, *, now: datetime):
        """Cancelled organisations whose erasure is a week away or less and not yet announced."""
        return self.cancelled().filter(
            cancelled_at__lte=now - ERASURE_DELAY.delta + REMINDER_BEFORE,
            erasure_reminded_at__isnull=True,
        )

    def delete(self):
        """Delete the organisations with everything they own: files, and the accounts of users
        who belong to no other organisation (with their second factor).

        The deletion run deletes through this queryset. Files leave the storage after commit,
        so a rolled-back deletion keeps them; users of several organisations keep their other
        memberships. Staff accounts are never deleted here, only their memberships.
        """
        pks = list(self.values_list("pk", flat=True))
        files = list(
            Receipt.all_tenants.filter(organisation_id__in=pks)
            .exclude(file="")
            .values_list("file", flat=True)
        )
        with transaction.atomic():
            # Before the memberships go, which say whose account this is.
            Membership.all_tenants.sole_accounts(organisation_ids=pks).delete()
            result = super().delete()
        transaction.on_commit(partial(_storage_delete, files))
        return result


def _storage_delete(names: list[str]) -> None:
    """Remove stored files through the storage API, never a filesystem path, so
    ``STORAGES["default"]`` may be object storage. A file already gone counts as removed."""
    for name in names:
        default_storage.delete(name)


class Organisation(models.Model):
    """A customer of the cloud service (a tenant); its data never mixes with another's."""

    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname in der Adresse"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("gekündigt am"), null=True, blank=True)
    erasure_reminded_at = models.DateTimeField(
        _("an die Löschung erinnert am"), null=True, blank=True
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Organisation")
        verbose_name_plural = _("Organisationen")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        # These path segments of /cx/ are pages, not organisations.
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("Dieser Kurzname ist reserviert.")})

    @property
    def is_read_only(self) -> bool:
        return self.cancelled_at is not None

    @property
    def erasure_due_at(self) -> datetime | None:
        return ERASURE_DELAY.after(self.cancelled_at) if self.cancelled_at else None

    def delete(self, *args, **kwargs):
        return type(self).objects.filter(pk=self.pk).delete()


class MembershipQuerySet(models.QuerySet):
    def sole_accounts(self, *, organisation_ids: list[int]) -> models.QuerySet:
        """The users whose every membership is in ``organisation_ids``, staff excepted."""
        members = self.filter(organisation_id__in=organisation_ids)
        elsewhere = self.exclude(organisation_id__in=organisation_ids)
        return (
            get_user_model()
            .objects.filter(pk__in=members.values("user_id"), is_staff=False)
            .exclude(pk__in=elsewhere.values("user_id"))
        )


class Membership(models.Model):
    """A user's role in one organisation (the "Berechtigungsverwaltung" of the policy)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cloud_memberships"
    )
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("seit"), auto_now_add=True)

    all_tenants = MembershipQuerySet.as_manager()
    objects = TenantManager()

    class Meta:
        verbose_name = _("Mitgliedschaft")
        verbose_name_plural = _("Mitgliedschaften")
        default_manager_name = "all_tenants"
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="cloud_one_role_per_org"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="cloud_membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user.email} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def can_review(self) -> bool:
        return self.role in REVIEW_ROLES

    @property
    def sees_only_own_receipts(self) -> bool:
        return self.role == Role.SUBMITTER


class Account(models.Model):
    """A user's cloud profile: the display name (the second factor is accounts.TOTPDevice)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cloud_account"
    )
    name = models.CharField(_("Name"), max_length=200)
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)

    class Meta:
        verbose_name = _("Cloud-Benutzerkonto")
        verbose_name_plural = _("Cloud-Benutzerkonten")

    def __str__(self):
        return self.name

    @property
    def email(self) -> str:
        return self.user.email


class Project(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(_("Name"), max_length=200)

    all_tenants = models.Manager()
    objects = TenantManager()

    class Meta:
        verbose_name = _("Projekt")
        verbose_name_plural = _("Projekte")
        default_manager_name = "all_tenants"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="cloud_project_unique"),
        ]

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("eingereicht")
    APPROVED = "approved", _("genehmigt")
    REJECTED = "rejected", _("abgelehnt")
    REFUNDED = "refunded", _("erstattet")


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    CHF = "CHF", "CHF"
    USD = "USD", "USD"
    GBP = "GBP", "GBP"


class RefundMethod(models.TextChoices):
    PAYPAL = "paypal", _("PayPal")
    BANK = "bank", _("Bankkonto")


def receipt_upload_to(receipt: "Receipt", filename: str) -> str:
    """Random name under the organisation's own folder (the original name is kept in a field)."""
    return f"cloud/{receipt.organisation_id}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class ReceiptQuerySet(models.QuerySet):
    def approved_since(self, since: datetime | None):
        queryset = self.filter(status__in=[Status.APPROVED, Status.REFUNDED])
        if since is not None:
            queryset = queryset.filter(reviewed_at__gte=since)
        return queryset.order_by("reviewed_at", "pk")


class Receipt(models.Model):
    """A receipt (Beleg) handed in for refund; the refund account is encrypted at rest."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="receipts"
    )
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="cloud_receipts",
    )
    submitter_name = models.CharField(_("Name des Einreichers"), max_length=200)
    submitter_email = models.EmailField(_("E-Mail des Einreichers"))
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("Projekt")
    )
    date = models.DateField(_("Belegdatum"))
    amount = models.DecimalField(_("Betrag"), max_digits=10, decimal_places=2)
    currency = models.CharField(
        _("Währung"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    purpose = models.CharField(_("Verwendungszweck"), max_length=500)
    refund_method = models.CharField(
        _("Erstattung per"), max_length=10, choices=RefundMethod.choices
    )
    refund_account_encrypted = models.TextField(_("Erstattungskonto (verschlüsselt)"))
    file = models.FileField(_("Beleg"), upload_to=receipt_upload_to, max_length=300)
    file_name = models.CharField(_("ursprünglicher Dateiname"), max_length=200)
    content_type = models.CharField(max_length=50)
    file_size = models.PositiveIntegerField()
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    review_comment = models.TextField(_("Kommentar der Prüfung"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("erstattet am"), null=True, blank=True)
    booked_at = models.DateTimeField(_("gebucht am"), null=True, blank=True)
    created_at = models.DateTimeField(_("eingereicht am"), auto_now_add=True)

    all_tenants = ReceiptQuerySet.as_manager()
    objects = TenantManager.from_queryset(ReceiptQuerySet)(submitter_field="submitter")

    class Meta:
        verbose_name = _("Beleg")
        verbose_name_plural = _("Belege")
        default_manager_name = "all_tenants"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organisation", "-created_at", "-id"], name="cloud_receipt_org_newest"
            ),
            models.Index(fields=["organisation", "date"], name="cloud_receipt_org_date"),
            models.Index(fields=["organisation", "status"], name="cloud_receipt_org_status"),
            models.Index(
                fields=["organisation", "submitter", "created_at"], name="cloud_receipt_org_sub"
            ),
            models.Index(fields=["organisation", "reviewed_at"], name="cloud_receipt_org_reviewed"),
            # Data-subject requests find receipts by the submitter's address (``__iexact``).
            models.Index(Upper("submitter_email"), name="cloud_receipt_email_upper"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, amount__lte=MAX_AMOUNT),
                name="cloud_receipt_amount_sane",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="cloud_receipt_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__in=Currency.values),
                name="cloud_receipt_currency_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(refund_method__in=RefundMethod.values),
                name="cloud_receipt_refund_method_valid",
            ),
        ]

    def __str__(self):
        return f"{self.date:%d.%m.%Y} {self.amount} {self.currency}"

    @property
    def refund_account(self) -> dict[str, str]:
        """The decrypted refund account: ``{"paypal": ...}`` or ``{"holder", "iban", "bic"}``."""
        return json.loads(crypto.decrypt(self.refund_account_encrypted) or "{}")

    @property
    def refund_account_text(self) -> str:
        account = self.refund_account
        if "paypal" in account:
            return f"PayPal: {account['paypal']}"
        return " · ".join(account.get(key, "") for key in ("holder", "iban", "bic") if account)

    @property
    def refund_account_masked(self) -> str:
        """The refund account with the IBAN masked (``DE89 **** **** **** **** 00``), for every
        page but the refund step."""
        account = self.refund_account
        if "paypal" in account or not account.get("iban"):
            return self.refund_account_text
        iban = account["iban"]
        middle = " ".join("****" for _ in range(max(1, (len(iban) - 6 + 3) // 4)))
        return " · ".join(
            part for part in (account.get("holder", ""), f"{iban[:4]} {middle} {iban[-2:]}") if part
        )


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A key for the desktop software; only its SHA-256 digest is stored."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("Bezeichnung"), max_length=100)
    prefix = models.CharField(_("Anfang des Schlüssels"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("zuletzt benutzt"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)

    all_tenants = ApiTokenQuerySet.as_manager()
    objects = TenantManager.from_queryset(ApiTokenQuerySet)()

    class Meta:
        verbose_name = _("API-Schlüssel")
        verbose_name_plural = _("API-Schlüssel")
        default_manager_name = "all_tenants"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class Invitation(models.Model):
    """An invitation by e-mail to join an organisation in a role; the link is signed and expires."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("E-Mail-Adresse"))
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("eingeladen am"), auto_now_add=True)
    expires_at = models.DateTimeField(_("gültig bis"))
    accepted_at = models.DateTimeField(_("angenommen am"), null=True, blank=True)
    sent_at = models.DateTimeField(_("versendet am"), null=True, blank=True)
    blocked_by = models.CharField(_("nicht versendet wegen"), max_length=50, blank=True)

    all_tenants = models.Manager()
    objects = TenantManager()

    class Meta:
        verbose_name = _("Einladung")
        verbose_name_plural = _("Einladungen")
        default_manager_name = "all_tenants"
        ordering = ["-created_at"]
        indexes = [models.Index(Upper("email"), name="cloud_invitation_email_upper")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="cloud_invitation_role_valid"
            ),
        ]

    def __str__(self):
        return self.email


class MailKind(models.TextChoices):
    """What a promised mail says; each kind is rendered at send time from the rows it names."""

    PASSWORD_RESET = "password_reset", _("Link für ein neues Passwort")
    INVITATION = "invitation", _("Einladung")
    RECEIPT_APPROVED = "receipt_approved", _("Beleg genehmigt")
    RECEIPT_REJECTED = "receipt_rejected", _("Beleg abgelehnt")
    RECEIPT_REFUNDED = "receipt_refunded", _("Beleg erstattet")
    CANCELLATION_CONFIRMED = "cancellation_confirmed", _("Kündigung bestätigt")
    CANCELLATION_WITHDRAWN = "cancellation_withdrawn", _("Kündigung zurückgenommen")
    ERASURE_REMINDER = "erasure_reminder", _("Erinnerung an die Löschung")


# The row each kind is rendered from; a constraint keeps it set.
MAIL_SOURCES: dict[str, str] = {
    MailKind.PASSWORD_RESET: "user",
    MailKind.INVITATION: "invitation",
    MailKind.RECEIPT_APPROVED: "receipt",
    MailKind.RECEIPT_REJECTED: "receipt",
    MailKind.RECEIPT_REFUNDED: "receipt",
    MailKind.CANCELLATION_CONFIRMED: "organisation",
    MailKind.CANCELLATION_WITHDRAWN: "organisation",
    MailKind.ERASURE_REMINDER: "organisation",
}


class MailState(models.TextChoices):
    UNSENT = "unsent", _("noch nicht versendet")
    SENT = "sent", _("versendet")
    BLOCKED = "blocked", _("nicht versendet (E-Mail-Sperre)")
    OBSOLETE = "obsolete", _("nicht versendet (nicht mehr zutreffend)")
    REFUSED = "refused", _("nicht versendet (vom Mailserver abgelehnt)")


class OutgoingMailQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(state=MailState.UNSENT)


class OutgoingMail(models.Model):
    """A mail the cloud has promised: written in the transaction that promises it, sent by a
    task after commit or by the periodic sweep (claim, send, settle).

    It holds no secret: links, tokens and texts are made when the mail is sent, from the rows
    it names (the user of a password reset, the invitation, the receipt, the organisation).
    Deleting any of them deletes the mail with it.
    """

    kind = models.CharField(_("Art"), max_length=30, choices=MailKind.choices)
    recipient = models.EmailField(_("Empfänger"), max_length=254)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cloud_outgoing_mails",
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="mails"
    )
    receipt = models.ForeignKey(
        Receipt, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The cancellation a confirmation confirms: a notice the organisation no longer matches
    # (withdrawn, or cancelled anew) is not sent.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        _("Status"), max_length=10, choices=MailState.choices, default=MailState.UNSENT
    )
    blocked_by = models.CharField(_("nicht versendet wegen"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("angelegt"), default=timezone.now)
    settled_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)
    # The last attempt the mail server did not take: the sweep tries such mails last.
    failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The claim of the worker sending it: while fresh, nobody else sends this mail, and no
    # transaction is open during the SMTP exchange.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = OutgoingMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("ausgehende E-Mail")
        verbose_name_plural = _("ausgehende E-Mails")
        ordering = ["-created_at"]
        indexes = [
            # Data-subject requests find a person's mails by the address (``__iexact``).
            models.Index(Upper("recipient"), name="cloud_outgoingmail_rcpt_upper"),
            # The sweep reads only what is unsent, oldest first.
            models.Index(
                fields=["created_at"],
                name="cloud_outgoingmail_unsent",
                condition=models.Q(state="unsent"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=MailKind.values), name="cloud_outgoingmail_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=MailState.values),
                name="cloud_outgoingmail_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state="unsent") | models.Q(settled_at__isnull=False),
                name="cloud_outgoingmail_settled_has_date",
            ),
            *(
                models.CheckConstraint(
                    condition=~models.Q(kind=kind) | models.Q(**{f"{source}__isnull": False}),
                    name=f"cloud_outgoingmail_{kind}_source",
                )
                for kind, source in MAIL_SOURCES.items()
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_state_display()})"
