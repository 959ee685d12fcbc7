"""Forms of the newsletter app: the public sign-up and the staff forms of the admin."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import WRITTEN_CHANNELS, ConsentText, Mailing, MailingKind, Relationship


class SubscribeForm(forms.Form):
    """E-mail (required), name (optional) and the consent, bound to the text version shown."""

    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=_("Ja, ich willige ein."),
        error_messages={"required": _("Bitte bestätigen Sie die Einwilligung.")},
    )
    consent_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language
        self.consent_text = ConsentText.objects.current(language)
        if self.consent_text:
            self.fields["consent_version"].initial = self.consent_text.version

    def clean_consent_version(self) -> ConsentText:
        """The version the visitor actually saw, even if a newer one was published since."""
        version = self.cleaned_data["consent_version"]
        shown = (
            ConsentText.objects.filter(version=version, language=self.language).first()
            or ConsentText.objects.filter(version=version, language="de").first()
        )
        if shown is None:
            raise forms.ValidationError(
                _("Der Einwilligungstext hat sich geändert. Bitte lesen Sie ihn erneut.")
            )
        return shown


class WrittenUnsubscriptionForm(forms.Form):
    """Staff record an unsubscription or objection that came by letter, e-mail, fax or phone."""

    email = forms.EmailField(label=_("E-Mail-Adresse"), max_length=254)
    newsletter = forms.BooleanField(label=_("Newsletter abbestellen"), required=False, initial=True)
    customer_mails = forms.BooleanField(
        label=_("E-Mail-Sperre für Kundenmails setzen"), required=False
    )
    channel = forms.ChoiceField(label=_("Eingangsweg"), choices=WRITTEN_CHANNELS)
    on = forms.DateField(
        label=_("Datum des Schreibens"),
        initial=timezone.localdate,
        # A date input only takes ISO dates; the German format would leave it empty.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(
        label=_("Aktenzeichen"),
        max_length=100,
        required=False,
        help_text=_("Zum Beispiel die Ablagenummer des Briefs; bitte keine Adresse."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("newsletter") and not data.get("customer_mails"):
            raise forms.ValidationError(_("Bitte wählen Sie Newsletter, Kundenmails oder beides."))
        return data


class CustomerImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV-Datei"),
        help_text=_(
            "Spalten: name, email, organisation, relationship (Kunde oder Interessent), source. "
            "Komma oder Semikolon, UTF-8 oder Windows-1252."
        ),
    )
    source = forms.CharField(
        label=_("Herkunft, wo die Datei keine angibt"), max_length=200, required=False
    )
    relationship = forms.ChoiceField(
        label=_("Beziehung, wo die Datei keine angibt"),
        choices=Relationship.choices,
        initial=Relationship.CUSTOMER,
    )


class MailingForm(forms.ModelForm):
    """A mailing in German with an optional English version, whole or not at all."""

    class Meta:
        model = Mailing
        fields = ["kind", "relationship", "subject", "body", "subject_en", "body_en"]

    def clean(self):
        data = super().clean()
        subject_en, body_en = data.get("subject_en", ""), data.get("body_en", "")
        if subject_en and not body_en:
            self.add_error("body_en", _("Zum englischen Betreff fehlt der englische Text."))
        if body_en and not subject_en:
            self.add_error("subject_en", _("Zum englischen Text fehlt der englische Betreff."))
        if data.get("kind") == MailingKind.CUSTOMER and (subject_en or body_en):
            self.add_error(
                "subject_en",
                _(
                    "Kundenmails gehen auf Deutsch hinaus (für Kunden ist keine Sprache "
                    "hinterlegt); bitte die englische Fassung leer lassen."
                ),
            )
        return data


class ExtraIssueForm(forms.Form):
    """Sending a second newsletter issue in a quarter: an explicit yes and the reason."""

    confirm = forms.BooleanField(
        label=_("Ja, in diesem Quartal soll eine weitere Ausgabe versendet werden."),
        error_messages={"required": _("Bitte bestätigen Sie die weitere Ausgabe ausdrücklich.")},
    )
    reason = forms.CharField(
        label=_("Begründung"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Wird beim Mailing gespeichert. Die Datenschutzerklärung verspricht einen "
            "Newsletter im Quartal."
        ),
        error_messages={"required": _("Bitte geben Sie eine Begründung an.")},
    )
