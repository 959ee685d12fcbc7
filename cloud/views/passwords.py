"""Password reset ("Passwort vergessen") and change, on Django's views with the cloud's texts."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy, ngettext

from privacy.ratelimit import TOO_MANY_MESSAGE, client_over_limit

from .. import forms
from ..tokens import password_reset_token


def reset_link_lifetime() -> str:
    """CLOUD_PASSWORD_RESET_TIMEOUT in words, for every text that mentions it."""
    minutes = max(1, settings.CLOUD_PASSWORD_RESET_TIMEOUT // 60)
    if minutes % 60:
        return ngettext("eine Minute", "%(count)d Minuten", minutes) % {"count": minutes}
    hours = minutes // 60
    return ngettext("eine Stunde", "%(count)d Stunden", hours) % {"count": hours}


class LinkLifetimeMixin:
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_for": reset_link_lifetime()}


class PasswordReset(LinkLifetimeMixin, auth_views.PasswordResetView):
    """The same answer for any address; a link (an hour, once) only to an existing CX user."""

    form_class = forms.CloudPasswordResetForm
    template_name = "cloud/password_reset.html"
    email_template_name = "cloud/mail/password_reset.txt"
    subject_template_name = "cloud/mail/password_reset_subject.txt"
    token_generator = password_reset_token
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
        # Links start from SITE_URL, never from the request's Host header.
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "valid_for": reset_link_lifetime(),
        }
        return super().form_valid(form)


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
