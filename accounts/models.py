"""A TOTP device whose key is encrypted at rest (django-otp's own keeps it in plain hex)."""

import os
import time
from base64 import b32encode
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from . import crypto


def _new_key() -> str:
    return crypto.encrypt(os.urandom(20))


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (RFC 6238: SHA-1, 6 digits, 30 s, one step of tolerance)."""

    ISSUER = "OPTIGEM"
    STEP = 30
    DIGITS = 6
    TOLERANCE = 1

    encrypted_key = models.TextField(default=_new_key, editable=False)
    last_t = models.BigIntegerField(default=-1, editable=False)

    class Meta(Device.Meta):
        verbose_name = "Authenticator-App"
        verbose_name_plural = "Authenticator-Apps"

    @property
    def bin_key(self) -> bytes:
        return crypto.decrypt(self.encrypted_key)

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.STEP, 0, self.DIGITS, 0)
            totp.time = time.time()
            # Only a later time step than the last one used: a code works once.
            verified = totp.verify(token, self.TOLERANCE, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        # After a wrong code the next try waits 1, 2, 4, ... seconds (django-otp's throttling).
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def secret_b32(self) -> str:
        return b32encode(self.bin_key).decode()

    @property
    def config_url(self) -> str:
        label = f"{self.ISSUER}:{self.user.get_username()}"
        params = urlencode(
            {
                "secret": self.secret_b32,
                "algorithm": "SHA1",
                "digits": self.DIGITS,
                "period": self.STEP,
            }
        )
        return f"otpauth://totp/{quote(label)}?{params}&issuer={quote(self.ISSUER)}"

    def qr_svg(self, *, title: str) -> str:
        """The otpauth link as an inline SVG QR code, rendered here (no third-party host)."""
        return segno.make(self.config_url, error="m").svg_inline(scale=5, title=title)


class UserSession(AbstractBaseSession):
    """A session (accounts.sessions' engine) that names its signed-in user in a column."""

    user_id = models.IntegerField(null=True, blank=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore

    class Meta:
        verbose_name = _("Sitzung")
        verbose_name_plural = _("Sitzungen")
