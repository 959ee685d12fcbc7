from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.registry import CookieCategory

from .models import ConsentAction
from .state import optional_categories

SHOW_SETTINGS = "settings"


class ConsentForm(forms.Form):
    """One decision: accept all, necessary only, a chosen set, or (no decision) open settings."""

    action = forms.ChoiceField(
        choices=[*ConsentAction.choices, (SHOW_SETTINGS, _("Einstellungen"))],
        error_messages={
            "required": _("Bitte wählen Sie eine der Schaltflächen."),
            "invalid_choice": _("Diese Entscheidung kennen wir nicht. Bitte wählen Sie erneut."),
        },
    )
    categories = forms.MultipleChoiceField(
        required=False,
        error_messages={
            "invalid_choice": _("Die Kategorie „%(value)s“ gibt es nicht."),
        },
    )
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [
            (key, CookieCategory(key).label) for key in optional_categories()
        ]

    def chosen_categories(self) -> set[str]:
        action = self.cleaned_data["action"]
        if action == ConsentAction.ACCEPT_ALL:
            return set(optional_categories())
        if action == ConsentAction.CUSTOM:
            return set(self.cleaned_data["categories"])
        return set()
