"""The admin's password step, limited like the CX sign-in (see limiter.py), and its second factor."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _
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


class SecondFactorForm(forms.Form):
    """A code from the authenticator app or one of the backup codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("Sechsstelliger Code aus der Authenticator-App oder ein Sicherungscode."),
    )

    def __init__(self, *args, devices, request=None, limit_scope: str = "", **kwargs):
        """``limit_scope`` (with ``request``): the sign-in limiter's growing delay per account
        and client applies on top of django-otp's own per-device throttling."""
        super().__init__(*args, **kwargs)
        self.devices = devices
        self.device = None
        self.request = request
        self.limit_scope = limit_scope if request is not None and devices else ""
        if devices and not any(device.confirmed for device in devices):
            # At enrolment there are no backup codes yet.
            self.fields["code"].help_text = _("Sechsstelliger Code aus der Authenticator-App.")

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not self.limit_scope:
            return self._verify(code)
        account = self.devices[0].user.get_username()
        limit = {"account": account, "request": self.request}
        wait = limiter.wait_seconds(self.limit_scope, budget=False, **limit)
        if wait:
            raise too_many_attempts(wait)
        try:
            code = self._verify(code)
        except forms.ValidationError as error:
            if error.code == "invalid":
                limiter.record_failure(self.limit_scope, **limit)
            raise
        limiter.reset(self.limit_scope, **limit)
        return code

    def _verify(self, code: str) -> str:
        for device in self.devices:
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                raise forms.ValidationError(
                    _(
                        "Zu viele falsche Codes. Bitte warten Sie einen Moment und versuchen Sie "
                        "es dann erneut."
                    ),
                    code="throttled",
                )
        for device in self.devices:
            if device.verify_token(code):
                self.device = device
                return code
        raise forms.ValidationError(
            _("Der Code stimmt nicht. Bitte geben Sie den aktuellen Code ein."), code="invalid"
        )
