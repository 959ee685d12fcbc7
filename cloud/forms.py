"""Forms of the cloud; querysets of choices come from the tenant scope of the request."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import limiter
from accounts.forms import too_many_attempts

from .models import MAX_AMOUNT, Currency, Project, RefundMethod, Role
from .templatetags.cloud_money import NBSP, german_number
from .validators import check_receipt_file, normalise_iban, validate_bic, validate_iban


def _no_control_chars(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise forms.ValidationError(_("Der Text enthält unzulässige Steuerzeichen."))


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Passwort"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        email = data["email"].strip().lower()
        wait = limiter.wait_seconds("cx", account=email, request=self.request)
        if wait:
            raise too_many_attempts(wait)
        user = authenticate(self.request, username=email, password=data["password"])
        if user is None or not hasattr(user, "cloud_account"):
            limiter.record_failure("cx", account=email, request=self.request)
            raise forms.ValidationError(_("E-Mail-Adresse oder Passwort ist falsch."))
        limiter.reset("cx", account=email, request=self.request)
        self.user = user
        return data


class CloudPasswordResetForm(forms.Form):
    """Asks for the address; who gets a link is ``cloud.services.passwords.reset_allowed``."""

    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class InvitationAcceptForm(forms.Form):
    name = forms.CharField(
        label=_("Ihr Name"),
        max_length=200,
        validators=[_no_control_chars],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Passwort"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label=_("Passwort wiederholen"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("Die Passwörter stimmen nicht überein."))
        elif data.get("password"):
            try:
                validate_password(data["password"])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-Mail-Adresse"), max_length=150)
    # The least-privileged role first: an administrator must choose to hand out more.
    role = forms.ChoiceField(label=_("Rolle"), choices=Role.choices, initial=Role.SUBMITTER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rolle"), choices=Role.choices)


def _amount_text(text: str) -> str:
    """ "1.234,50", "1234,5" (German) or "1234.50" (a decimal point) as Python reads decimals;
    anything else is left for the field to refuse."""
    text = text.strip().removesuffix("€").replace(" ", "").replace(NBSP, "")
    whole, comma, cents = text.partition(",")
    if "." in whole and re.fullmatch(r"[1-9]\d{0,2}(\.\d{3})+", whole):  # German thousands
        whole = whole.replace(".", "")
    elif comma and "." in whole:
        return text
    return f"{whole}.{cents}" if comma else whole


class AmountField(forms.DecimalField):
    """An amount typed the German way or with a decimal point on any page, shown back German
    ("1.234,50") once valid; an invalid entry is shown back exactly as typed."""

    def to_python(self, value):
        return super().to_python(_amount_text(value) if isinstance(value, str) else value)

    def prepare_value(self, value):
        try:
            return german_number(self.clean(value))
        except forms.ValidationError:
            return value


class ReceiptForm(forms.Form):
    # Not required by the field: a file kept from an earlier attempt (``kept``) stands in for it.
    file = forms.FileField(label=_("Beleg (PDF, JPEG oder PNG)"), required=False)
    date = forms.DateField(label=_("Belegdatum"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = AmountField(
        label=_("Betrag"),
        max_digits=10,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        validators=[
            MinValueValidator(Decimal("0.01"), message=_("Der Betrag muss größer als null sein.")),
            MaxValueValidator(
                MAX_AMOUNT,
                message=_("Beträge über %(limit_value)s können nicht eingereicht werden."),
            ),
        ],
    )
    currency = forms.ChoiceField(label=_("Währung"), choices=Currency.choices)
    purpose = forms.CharField(
        label=_("Verwendungszweck"), max_length=500, validators=[_no_control_chars]
    )
    project = forms.ModelChoiceField(
        label=_("Projekt"),
        queryset=Project.all_tenants.none(),
        required=False,
        empty_label=_("ohne Projekt"),
    )
    submitter_name = forms.CharField(
        label=_("Ihr Name"), max_length=200, validators=[_no_control_chars]
    )
    submitter_email = forms.EmailField(label=_("Ihre E-Mail-Adresse"), max_length=254)
    refund_method = forms.ChoiceField(
        label=_("Erstattung per"), choices=RefundMethod.choices, widget=forms.RadioSelect
    )
    paypal_email = forms.EmailField(label=_("PayPal-Adresse"), max_length=254, required=False)
    account_holder = forms.CharField(
        label=_("Kontoinhaber"), max_length=200, required=False, validators=[_no_control_chars]
    )
    iban = forms.CharField(label=_("IBAN"), max_length=50, required=False)
    bic = forms.CharField(
        label=_("BIC (freiwillig)"),
        max_length=20,
        required=False,
        help_text=_("Für SEPA-Überweisungen genügt die IBAN."),
    )

    def __init__(self, *args, kept=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.all()
        self.kind = None
        self.kept = kept
        self.used_kept = False

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload:
            self.kind = check_receipt_file(upload)
        return upload

    def _kept_file(self):
        """The file kept from the last attempt, checked again (it never skips the checks)."""
        try:
            stored = default_storage.open(self.kept.name, "rb")
        except FileNotFoundError:
            return None
        upload = File(stored, name=self.kept.original)
        self.kind = check_receipt_file(upload)
        self.used_kept = True
        return upload

    def clean_date(self):
        value = self.cleaned_data["date"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError(_("Das Belegdatum liegt in der Zukunft."))
        if value < today - datetime.timedelta(days=3 * 366):
            raise forms.ValidationError(_("Der Beleg ist älter als drei Jahre."))
        return value

    def clean(self):
        data = super().clean()
        if not data.get("file") and "file" not in self.errors:
            kept = self.kept and self._kept_file()
            if kept:
                data["file"] = kept
            else:
                self.add_error("file", _("Bitte wählen Sie die Datei des Belegs aus."))
        method = data.get("refund_method")
        if method == RefundMethod.PAYPAL and not data.get("paypal_email"):
            self.add_error("paypal_email", _("Bitte geben Sie Ihre PayPal-Adresse an."))
        if method == RefundMethod.BANK:
            # Within SEPA (the only IBANs accepted) the IBAN alone routes the transfer.
            for name in ("account_holder", "iban"):
                if not data.get(name):
                    self.add_error(name, _("Dieses Feld ist für eine Überweisung nötig."))
            if data.get("iban"):
                try:
                    validate_iban(data["iban"])
                    data["iban"] = normalise_iban(data["iban"])
                except forms.ValidationError as exc:
                    self.add_error("iban", exc)
            if data.get("bic"):
                try:
                    validate_bic(data["bic"])
                    data["bic"] = data["bic"].strip().upper()
                except forms.ValidationError as exc:
                    self.add_error("bic", exc)
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Entscheidung"),
        choices=[("approve", _("genehmigen")), ("reject", _("ablehnen"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Kommentar"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[_no_control_chars],
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("comment"):
            self.add_error("comment", _("Bitte begründen Sie die Ablehnung."))
        return data


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("Projektname"), max_length=200, validators=[_no_control_chars])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Project.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("Ein Projekt mit diesem Namen gibt es schon."))
        return name


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Bezeichnung (z. B. Buchhaltungs-PC)"),
        max_length=100,
        validators=[_no_control_chars],
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Ich bin sicher."), required=True)


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Ihr Passwort"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise forms.ValidationError(_("Das Passwort ist falsch."))
        return self.cleaned_data["password"]
