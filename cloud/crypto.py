"""Encryption at rest for refund accounts: text over the project's Fernet keys (accounts.crypto).

``CLOUD_ENCRYPTION_KEY`` holds one or more comma-separated Fernet keys; the first encrypts,
all decrypt, so a key can be rotated without losing old rows. Without the setting the key is
derived from ``SECRET_KEY`` (fine for a demo; production sets its own key so that rotating
``SECRET_KEY`` does not make the stored accounts unreadable). The second-factor keys use the
same keys, so one rotation covers every encrypted column.
"""

from accounts import crypto


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext``; the empty string stays empty (nothing to protect)."""
    if not plaintext:
        return ""
    return crypto.encrypt(plaintext.encode())


def decrypt(token: str) -> str:
    """Decrypt a value written by :func:`encrypt` (``cryptography.fernet.InvalidToken`` if no
    configured key fits: a lost key must fail loudly, never read as empty)."""
    if not token:
        return ""
    return crypto.decrypt(token).decode()
