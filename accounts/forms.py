"""The admin's password step, limited like the CX sign-in (see limiter.py)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import ngettext

from . import limiter


def too_many_attempts(seconds: int) -> forms.ValidationError:
    return forms.ValidationError(
        ngettext(
            "Zu viele Fehlversuche. Bitte warten Sie %(seconds)d Sekunde und versuchen Sie es "
            "dann erneut.",
            "Zu viele Fehlversuche. Bitte warten Sie %(seconds)d Sekunden und versuchen Sie es "
            "dann erneut.",
            seconds,
        )
        % {"seconds": seconds},
        code="throttled",
    )


class AdminSignInForm(AdminAuthenticationForm):
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        if username and self.cleaned_data.get("password"):
            wait = limiter.wait_seconds("admin", account=username, request=self.request)
            if wait:
                raise too_many_attempts(wait)
            try:
                data = super().clean()
            except forms.ValidationError:
                limiter.record_failure("admin", account=username, request=self.request)
                raise
            limiter.reset("admin", account=username, request=self.request)
            return data
        return super().clean()
