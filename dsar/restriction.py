"""Whether a record belongs to a person whose processing is restricted (Art. 18 GDPR).

The check works for every holder in the registry: it reads the row's e-mail addresses through
the holder's ``email_fields`` and looks for an active restriction of one of them. It is the
registry's record guard ``restriction`` (``dsar/privacy.py``), which every audited admin asks
before it offers to change or delete a row.
"""

from django.db import models

from privacy.digests import address_digest
from privacy.registry import registry

from .models import Restriction

# The request and restriction records are how a restriction is handled, so they stay editable.
EXEMPT_APPS = frozenset({"dsar"})


def _follow(obj: models.Model | None, lookup: str) -> str | None:
    for name in lookup.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj if isinstance(obj, str) else None


def addresses_of(obj: models.Model) -> list[str]:
    """The e-mail addresses a holder's row is found under."""
    holder = registry.holders.get(obj._meta.label)
    if holder is None:
        return []
    return [value for lookup in holder.email_fields if (value := _follow(obj, lookup))]


def is_restricted(obj: models.Model | None) -> bool:
    """Whether ``obj`` is personal data of someone whose processing is restricted."""
    if obj is None or obj._meta.app_label in EXEMPT_APPS:
        return False
    digests = {address_digest(address) for address in addresses_of(obj)}
    return bool(digests) and Restriction.objects.active().filter(email_digest__in=digests).exists()
