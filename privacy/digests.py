"""E-mail addresses as the site compares them and as lists that outlive a person hold them."""

import hashlib
import hmac

from django.conf import settings


def normalise_email(address: str) -> str:
    """Return the form under which an e-mail address is looked up and compared."""
    return address.strip().lower()


def address_digest(address: str) -> str:
    """A keyed HMAC-SHA256 of the normalised address.

    Lists that must outlive a person's erasure (the suppression list, restrictions of
    processing) recognise an address by it without storing the address. The key is
    ``ADDRESS_HASH_KEY``; without it, one derived from ``SECRET_KEY``, which then must not change.
    """
    key = (
        settings.ADDRESS_HASH_KEY.encode()
        or hashlib.sha256(b"optigem.address-digest:" + settings.SECRET_KEY.encode()).digest()
    )
    return hmac.new(key, normalise_email(address).encode(), hashlib.sha256).hexdigest()
