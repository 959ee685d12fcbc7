"""Validators that keep control characters (and with them header injection) out of the forms."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MULTILINE_ALLOWED = {"\n", "\r", "\t"}


def _forbidden(value: str, allowed: set[str]) -> bool:
    return any(
        unicodedata.category(char) in {"Cc", "Zl", "Zp"} and char not in allowed for char in value
    )


def single_line(value: str) -> None:
    """No line breaks or other control characters: these fields may end up in mail headers."""
    if _forbidden(value, set()):
        raise ValidationError(
            _("Bitte verwenden Sie hier keine Zeilenumbrüche oder Steuerzeichen."),
            code="control_characters",
        )


def multi_line(value: str) -> None:
    if _forbidden(value, MULTILINE_ALLOWED):
        raise ValidationError(
            _("Der Text enthält unzulässige Steuerzeichen. Bitte entfernen Sie sie."),
            code="control_characters",
        )
