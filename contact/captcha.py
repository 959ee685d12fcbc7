"""hCaptcha through django-hcaptcha, wrapped so that an hCaptcha outage never costs a visitor's input.

The package raises on an unreachable, slow or malformed verify response (``URLError``,
``TimeoutError``, ``JSONDecodeError``, ``AttributeError`` on a JSON list…) and reads its
settings once at import. ``CaptchaField`` turns every such failure into a German form error,
so the form is shown again with everything the visitor typed, nothing is stored and no 500
is returned; ``configure_package`` keeps the package's module settings in step with ours.
The package sends only the secret and the response token: never the visitor's IP address
(no ``remoteip``), which the tests check at a local fake of the verify endpoint.
"""

import functools
import http.client
import logging
from functools import wraps
from urllib.parse import urlencode
from urllib.request import OpenerDirector, ProxyHandler, build_opener

from django import forms
from django.conf import settings
from django.utils.csp import CSP
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csp import csp_override
from hcaptcha import fields as hcaptcha_fields
from hcaptcha import widgets as hcaptcha_widgets

logger = logging.getLogger(__name__)

HCAPTCHA_HOSTS = ["https://hcaptcha.com", "https://*.hcaptcha.com"]
CAPTCHA_SETTINGS = {
    "HCAPTCHA_SITEKEY",
    "HCAPTCHA_SECRET",
    "HCAPTCHA_VERIFY_URL",
    "HCAPTCHA_TIMEOUT",
    "HCAPTCHA_JS_API_URL",
}
# What a broken verify response raises inside the package: network errors and timeouts
# (OSError, URLError), a cut-off HTTP exchange, undecodable or non-JSON bodies (ValueError),
# and JSON that is not an object (AttributeError/TypeError on ``.get``).
VERIFY_FAILURES = (OSError, http.client.HTTPException, ValueError, AttributeError, TypeError)


def captcha_enabled() -> bool:
    return bool(settings.HCAPTCHA_SITEKEY and settings.HCAPTCHA_SECRET)


@functools.cache
def _opener() -> OpenerDirector:
    return build_opener(ProxyHandler({}))


def _shared_opener(*handlers) -> OpenerDirector:
    """The package builds a new opener, and with it a TLS context that loads every CA
    certificate (about 30 ms), for each verification; one opener, built once, does the same.
    It uses no proxies, as the package does with its (empty) HCAPTCHA_PROXIES."""
    return _opener()


def configure_package(**kwargs) -> None:
    """Copy our HCAPTCHA_* settings into django-hcaptcha, which reads them only at import."""
    hcaptcha_fields.build_opener = _shared_opener
    hcaptcha_fields.VERIFY_URL = settings.HCAPTCHA_VERIFY_URL
    hcaptcha_fields.SECRET = settings.HCAPTCHA_SECRET
    hcaptcha_fields.TIMEOUT = settings.HCAPTCHA_TIMEOUT
    hcaptcha_fields.PROXIES = {}
    hcaptcha_widgets.SITEKEY = settings.HCAPTCHA_SITEKEY


def on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting in CAPTCHA_SETTINGS:
        configure_package()


def script_url() -> str:
    """hCaptcha's script, in the page's language (loaded only by the form templates)."""
    return f"{settings.HCAPTCHA_JS_API_URL}?{urlencode({'hl': get_language() or 'de'})}"


class CaptchaWidget(hcaptcha_widgets.hCaptchaWidget):
    """Only the widget's container; the page loads the script once, with the CSP nonce."""

    template_name = "contact/captcha_widget.html"


class CaptchaField(hcaptcha_fields.hCaptchaField):
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
        try:
            super().validate(value)
        except VERIFY_FAILURES as exc:
            logger.warning("contact.captcha.verify_failed: %s", type(exc).__name__)
            raise forms.ValidationError(
                self.error_messages["error_hcaptcha"], code="error_hcaptcha"
            ) from exc


def captcha_csp() -> dict:
    """The site's CSP plus the hCaptcha hosts its script, frame and styles need."""
    config = {key: value for key, value in settings.SECURE_CSP.items() if key != "frame-src"}
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
