from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RestrictionGround


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Verlängern um"),
        coerce=int,
        choices=[(1, _("einen Monat")), (2, _("zwei Monate"))],
    )
    reason = forms.CharField(
        label=_("Grund (wird der anfragenden Person mitgeteilt)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    informed_on = forms.DateField(
        label=_("Person unterrichtet am"),
        help_text=_("Der Tag, an dem die Person über Verlängerung und Gründe unterrichtet wurde."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class RectifyForm(forms.Form):
    holder = forms.CharField(max_length=100, widget=forms.HiddenInput)
    pk = forms.CharField(max_length=100, widget=forms.HiddenInput)
    field = forms.CharField(max_length=100, widget=forms.HiddenInput)
    value = forms.CharField(label=_("neuer Wert"), required=False)


class RestrictForm(forms.Form):
    ground = forms.ChoiceField(
        label=_("Grund der Einschränkung"), choices=RestrictionGround.choices
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Aufhebung (die Person wurde vorher unterrichtet, Art. 18 Abs. 3)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
