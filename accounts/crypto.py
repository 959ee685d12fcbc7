"""Encryption at rest for second-factor keys: Fernet with the project's key.

The key is the one the CX cloud uses for refund accounts (``CLOUD_ENCRYPTION_KEY``, one or
more comma-separated Fernet keys, the first encrypts, all decrypt; empty: derived from
``SECRET_KEY`` the same way), so one key rotation covers every encrypted column.
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


def encrypt(plaintext: bytes) -> str:
    return _fernet().encrypt(plaintext).decode()


def decrypt(token: str) -> bytes:
    """``cryptography.fernet.InvalidToken`` when no key fits: a lost key fails loudly."""
    return _fernet().decrypt(token.encode())
