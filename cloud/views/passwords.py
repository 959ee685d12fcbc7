"""Password reset ("Passwort vergessen") and change, on Django's views with the cloud's texts."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.generic import FormView

from privacy.ratelimit import TOO_MANY_MESSAGE, client_over_limit

from .. import forms
from ..services.passwords import password_reset_request
from ..tokens import password_reset_token, reset_link_lifetime


class LinkLifetimeMixin:
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_for": reset_link_lifetime()}


@method_decorator([login_not_required, csrf_protect], name="dispatch")
class PasswordReset(LinkLifetimeMixin, FormView):
    """The same answer for any address; a link (an hour, once) only to an existing CX user.

    Django's ``PasswordResetView`` would send the mail in the request; here it is a row first
    and sent after the response (``password_reset_request``), so the answer waits for no mail
    server and a mail server outage delays the link, never loses it.
    """

    form_class = forms.CloudPasswordResetForm
    template_name = "cloud/password_reset.html"
    success_url = reverse_lazy("cloud:password_reset_done")

    def form_valid(self, form):
        if client_over_limit(
            self.request,
            scope="cx-password-reset",
            limit=settings.CLOUD_PASSWORD_RESET_RATE_LIMIT,
            window=settings.CLOUD_PASSWORD_RESET_RATE_LIMIT_WINDOW,
            cache_alias=settings.CONTACT_RATE_LIMIT_CACHE,
        ):
            form.add_error(None, TOO_MANY_MESSAGE)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        password_reset_request(email=form.cleaned_data["email"], language=get_language())
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDone(LinkLifetimeMixin, auth_views.PasswordResetDoneView):
    template_name = "cloud/password_reset_done.html"


class PasswordResetConfirm(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    """The new password ends every session of the user: Django checks each session against
    the password hash, so the old ones are signed out on their next request."""

    template_name = "cloud/password_reset_confirm.html"
    token_generator = password_reset_token
    success_url = reverse_lazy("cloud:login")
    success_message = gettext_lazy(
        "Ihr neues Passwort ist gespeichert. Bitte melden Sie sich damit an."
    )


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Keeps this session (update_session_auth_hash) and ends every other one of the user."""

    template_name = "cloud/password_change.html"
    success_url = reverse_lazy("cloud:profile")
    success_message = gettext_lazy(
        "Ihr Passwort ist geändert. Auf allen anderen Geräten sind Sie jetzt abgemeldet."
    )
