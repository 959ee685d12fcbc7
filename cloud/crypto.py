"""Encryption at rest for refund accounts and TOTP secrets (Fernet, key from settings).

``CLOUD_ENCRYPTION_KEY`` holds one or more comma-separated Fernet keys; the first encrypts,
all decrypt, so a key can be rotated without losing old rows. Without the setting the key is
derived from ``SECRET_KEY`` (fine for a demo; production sets its own key so that rotating
``SECRET_KEY`` does not make the stored accounts unreadable).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    configured = [k.strip() for k in settings.CLOUD_ENCRYPTION_KEY.split(",") if k.strip()]
    if not configured:
        digest = hashlib.sha256(f"cloud-encryption:{settings.SECRET_KEY}".encode()).digest()
        configured = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in configured])


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext``; the empty string stays empty (nothing to protect)."""
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a value written by :func:`encrypt` (``cryptography.fernet.InvalidToken`` if no
    configured key fits: a lost key must fail loudly, never read as empty)."""
    if not token:
        return ""
    return _fernet().decrypt(token.encode()).decode()
