"""hCaptcha's check as a small form field of our own, so an hCaptcha outage never costs input.

The field posts the visitor's response token and our secret to ``HCAPTCHA_VERIFY_URL`` and
nothing else: never the visitor's IP address (no ``remoteip``), which the tests check at a
local fake of the verify endpoint. Every failure of the verify call (unreachable, slow,
malformed or non-JSON answer, an HTTP error) becomes a German form error, so the form is shown
again with everything the visitor typed, nothing is stored and no 500 is returned. Settings
are read when a form is rendered or checked, so ``override_settings`` needs no hook.
"""

import functools
import http.client
import json
import logging
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from urllib.request import OpenerDirector, ProxyHandler, Request, build_opener

from django import forms
from django.conf import settings
from django.utils.csp import CSP
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csp import csp_override

logger = logging.getLogger(__name__)

HCAPTCHA_HOSTS = ["https://hcaptcha.com", "https://*.hcaptcha.com"]
# The name hCaptcha's script gives the token it puts into the form.
RESPONSE_FIELD = "h-captcha-response"
# What a broken verify response raises: network errors and timeouts (OSError, URLError and
# HTTPError among them), a cut-off HTTP exchange, undecodable or non-JSON bodies (ValueError),
# and JSON that is not an object (AttributeError/TypeError on ``.get``).
VERIFY_FAILURES = (OSError, http.client.HTTPException, ValueError, AttributeError, TypeError)


def captcha_enabled() -> bool:
    return bool(settings.HCAPTCHA_SITEKEY and settings.HCAPTCHA_SECRET)


@functools.cache
def _opener() -> OpenerDirector:
    """One opener per process: building one, and with it a TLS context that loads every CA
    certificate, costs about 30 ms. It uses no proxies."""
    return build_opener(ProxyHandler({}))


def verified(token: str) -> bool:
    """Whether hCaptcha accepts ``token``; raises one of ``VERIFY_FAILURES`` if it cannot say."""
    body = urlencode({"secret": settings.HCAPTCHA_SECRET, "response": token}).encode()
    request = Request(settings.HCAPTCHA_VERIFY_URL, body)
    with _opener().open(request, timeout=settings.HCAPTCHA_TIMEOUT) as response:
        answer = json.loads(response.read().decode("utf-8"))
    return bool(answer.get("success"))


def script_url() -> str:
    """hCaptcha's script, in the page's language (loaded only by the form templates)."""
    return f"{settings.HCAPTCHA_JS_API_URL}?{urlencode({'hl': get_language() or 'de'})}"


class CaptchaWidget(forms.Widget):
    """Only the widget's container; the page loads the script once, with the CSP nonce."""

    template_name = "contact/captcha_widget.html"

    def value_from_datadict(self, data, files, name):
        return data.get(RESPONSE_FIELD)

    def build_attrs(self, base_attrs, extra_attrs=None):
        return {
            **super().build_attrs(base_attrs, extra_attrs),
            "data-sitekey": settings.HCAPTCHA_SITEKEY,
        }


class CaptchaField(forms.Field):
    widget = CaptchaWidget
    default_error_messages = {
        "required": _(
            "Bitte bestätigen Sie mit der Sicherheitsprüfung (hCaptcha), dass Sie ein Mensch sind."
        ),
        "invalid_hcaptcha": _(
            "Die Sicherheitsprüfung (hCaptcha) war nicht erfolgreich. Bitte lösen Sie sie erneut "
            "und senden Sie das Formular noch einmal ab."
        ),
        "error_hcaptcha": _(
            "Die Sicherheitsprüfung (hCaptcha) ist gerade nicht erreichbar. Ihre Eingaben sind "
            "erhalten geblieben; bitte senden Sie das Formular in ein paar Minuten noch einmal ab."
        ),
    }

    def __init__(self, **kwargs):
        super().__init__(label=_("Sicherheitsprüfung"), **kwargs)

    def validate(self, value):
        super().validate(value)
        try:
            accepted = verified(value)
        except VERIFY_FAILURES as exc:
            logger.warning("contact.captcha.verify_failed: %s", type(exc).__name__)
            raise forms.ValidationError(
                self.error_messages["error_hcaptcha"], code="error_hcaptcha"
            ) from exc
        if not accepted:
            raise forms.ValidationError(
                self.error_messages["invalid_hcaptcha"], code="invalid_hcaptcha"
            )


def captcha_csp() -> dict:
    """The site's CSP plus the hCaptcha hosts its script, frame and styles need."""
    config: dict[str, Any] = {
        key: value for key, value in settings.SECURE_CSP.items() if key != "frame-src"
    }
    for directive in ("script-src", "style-src", "connect-src"):
        config[directive] = [*config.get(directive, [CSP.SELF]), *HCAPTCHA_HOSTS]
    config["frame-src"] = list(HCAPTCHA_HOSTS)
    return config


def allow_captcha(view):
    """Widen the page's CSP for hCaptcha, on the form pages only and only when it is enabled."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not captcha_enabled():
            return view(request, *args, **kwargs)
        return csp_override(captcha_csp())(view)(request, *args, **kwargs)

    return wrapped
