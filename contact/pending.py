"""A pupil's pending request, sealed with a key that only the guardian's link carries.

Until the guardian consents, the database holds the ciphertext and a SHA-256 hash of the key,
so neither staff nor a database dump can read the request. The key also waits, wrapped under a
key derived from SECRET_KEY, until the guardian mail has gone out (the mail is a row first and
may be sent by the periodic sweep); the wrapped copy is wiped as soon as that mail is settled.
"""

import hashlib
import hmac
import json
from base64 import urlsafe_b64encode

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

# What a pupil types that names or describes them; everything else on the row is bookkeeping.
SEALED_FIELDS = (
    "name",
    "email",
    "organisation",
    "phone",
    "customer_number",
    "product",
    "subject",
    "message",
)


class SealBroken(Exception):
    """The key does not open the ciphertext (a forged or mangled link)."""


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(key_hash(key), stored_hash)


def seal(values: dict) -> tuple[str, str]:
    """Encrypt ``values``; returns (key for the link, ciphertext for the row)."""
    key = Fernet.generate_key()
    ciphertext = Fernet(key).encrypt(json.dumps(values).encode())
    return key.decode(), ciphertext.decode()


def unseal(*, key: str, ciphertext: str) -> dict:
    try:
        return json.loads(Fernet(key.encode()).decrypt(ciphertext.encode()))
    except (InvalidToken, ValueError, TypeError) as exc:
        raise SealBroken from exc


def _outbox_fernet() -> Fernet:
    digest = hashlib.sha256(b"contact.guardian-key-outbox|" + settings.SECRET_KEY.encode())
    return Fernet(urlsafe_b64encode(digest.digest()))


def wrap_for_outbox(key: str) -> str:
    return _outbox_fernet().encrypt(key.encode()).decode()


def unwrap_from_outbox(wrapped: str) -> str:
    return _outbox_fernet().decrypt(wrapped.encode()).decode()
