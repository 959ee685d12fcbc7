"""The three request forms. Only what the purpose needs is required; optional fields say so."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .captcha import CaptchaField, captcha_enabled
from .models import Inquiry, pupil_promise
from .validators import multi_line, single_line

OPTIONAL = _("%(label)s (freiwillig)")
# Browsers fill these in from the visitor's saved details (WCAG 1.3.5, HTML autofill tokens).
AUTOCOMPLETE = {
    "name": "name",
    "email": "email",
    "organisation": "organization",
    "phone": "tel",
    "guardian_email": "section-guardian email",
}
PRODUCTS = [
    ("", _("– bitte wählen –")),
    ("win-finanz", "OPTIGEM Win-Finanz"),
    ("cx-cloud", "OPTIGEM CX Cloud Extensions"),
    ("other", _("anderes Produkt")),
]


class InquiryForm(forms.ModelForm):
    """Fields every form shares: who writes, the pupil question, the double-submit key, hCaptcha."""

    single_line_fields = ("name", "organisation", "phone", "customer_number", "subject")
    multi_line_fields = ("message",)

    is_minor = forms.BooleanField(
        label=_("Ich bin Schülerin/Schüler oder unter 16 Jahre alt"), required=False
    )
    guardian_email = forms.EmailField(
        label=_("E-Mail-Adresse einer/eines Erziehungsberechtigten"),
        max_length=254,
        required=False,
    )
    # Set when the form is first shown; a second POST with the same key stores nothing new.
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Inquiry
        fields: tuple[str, ...] = ("name", "email")
        optional: tuple[str, ...] = ()
        labels = {"email": _("E-Mail-Adresse")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        only_pupils = _("Nur wenn Sie Schülerin/Schüler oder unter 16 sind.")
        self.fields["guardian_email"].help_text = f"{only_pupils} {pupil_promise()}"
        for name, field in self.fields.items():
            if name in AUTOCOMPLETE:
                field.widget.attrs["autocomplete"] = AUTOCOMPLETE[name]
            if name == "phone":
                field.widget.input_type = "tel"
            if name in self.single_line_fields:
                field.validators.append(single_line)
            if name in self.multi_line_fields:
                field.validators.append(multi_line)
            if name in self.Meta.optional:
                field.required = False
                field.label = OPTIONAL % {"label": field.label}
            elif name in self.Meta.fields:
                field.required = True
        if captcha_enabled():
            self.fields["captcha"] = CaptchaField()
        if not self.is_bound:
            self.initial.setdefault("submission_key", str(uuid.uuid4()))

    def clean_submission_key(self) -> uuid.UUID:
        # A missing or mangled key only loses the double-submit guard, never the request.
        try:
            return uuid.UUID(self.cleaned_data["submission_key"])
        except ValueError:
            return uuid.uuid4()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("is_minor"):
            cleaned["guardian_email"] = ""
            return cleaned
        guardian = cleaned.get("guardian_email", "")
        if not guardian and "guardian_email" not in self.errors:
            self.add_error(
                "guardian_email",
                _(
                    "Bitte geben Sie die E-Mail-Adresse einer/eines Erziehungsberechtigten an. "
                    "Ohne deren Zustimmung dürfen wir Ihre Anfrage nicht speichern."
                ),
            )
        elif guardian and guardian.lower() == (cleaned.get("email") or "").lower():
            self.add_error(
                "guardian_email",
                _(
                    "Bitte geben Sie die Adresse der/des Erziehungsberechtigten an, nicht Ihre eigene."
                ),
            )
        return cleaned

    def inquiry_data(self) -> dict:
        """The cleaned values the service stores (no captcha, no form-only fields)."""
        names = (*self.Meta.fields, "is_minor", "guardian_email", "submission_key")
        return {name: self.cleaned_data[name] for name in names}


class ContactForm(InquiryForm):
    class Meta(InquiryForm.Meta):
        fields = ("name", "email", "organisation", "phone", "subject", "message")
        optional = ("organisation", "phone", "subject")
        labels = {**InquiryForm.Meta.labels, "message": _("Ihre Nachricht")}


class SupportForm(InquiryForm):
    product = forms.ChoiceField(label=_("Produkt"), choices=PRODUCTS, required=False)

    class Meta(InquiryForm.Meta):
        fields = ("name", "email", "customer_number", "product", "phone", "subject", "message")
        optional = ("customer_number", "product", "phone")
        labels = {
            **InquiryForm.Meta.labels,
            "subject": _("Worum geht es?"),
            "message": _("Beschreibung des Problems"),
        }
        help_texts = {
            "customer_number": _("Hilft uns, Ihren Vertrag und Ihre Version schneller zu finden."),
        }


class TrainingForm(InquiryForm):
    class Meta(InquiryForm.Meta):
        fields = ("name", "email", "organisation", "phone", "message")
        optional = ("organisation", "phone", "message")
        labels = {**InquiryForm.Meta.labels, "message": _("Anmerkungen")}
        help_texts = {
            "name": _("So steht er auf Ihrer Teilnahmebescheinigung."),
            "phone": _("Nur für kurzfristige Änderungen am Termin."),
        }
