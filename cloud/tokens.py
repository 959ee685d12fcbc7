"""Links for resetting a CX password: Django's reset tokens, valid for an hour.

A token is bound to the password hash and the last sign-in, so it works once: setting the new
password (or signing in) makes it invalid. The lifetime is ``CLOUD_PASSWORD_RESET_TIMEOUT``
and the salt is the cloud's own, so ``PASSWORD_RESET_TIMEOUT`` (Django's default of three days,
for any other use) neither lengthens nor shortens these links and no other token fits here.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.http import base36_to_int
from django.utils.translation import ngettext


class CloudPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "cloud.tokens.CloudPasswordResetTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not super().check_token(user, token):
            return False
        issued = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - issued <= settings.CLOUD_PASSWORD_RESET_TIMEOUT


password_reset_token = CloudPasswordResetTokenGenerator()


def reset_link_lifetime() -> str:
    """CLOUD_PASSWORD_RESET_TIMEOUT in words, for every text that mentions it."""
    minutes = max(1, settings.CLOUD_PASSWORD_RESET_TIMEOUT // 60)
    if minutes % 60:
        return ngettext("eine Minute", "%(count)d Minuten", minutes) % {"count": minutes}
    hours = minutes // 60
    return ngettext("eine Stunde", "%(count)d Stunden", hours) % {"count": hours}
