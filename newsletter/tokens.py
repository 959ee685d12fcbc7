"""Signed tokens for the links in mails; none of them carries an e-mail address.

A confirmation token names a subscription row and a one-time nonce, expires after 72 hours
and stops working once used (the nonce is cleared). An unsubscribe token names the keyed hash
of the address and a scope; it does not expire, because the policy promises a working
unsubscribe link in every issue, and using it twice only repeats a withdrawal. Because it
carries the hash rather than a row id, it still works after the person's data was erased.
"""

from django.core import signing

from .models import CONFIRMATION_PERIOD

CONFIRM_SALT = "newsletter.confirm"
UNSUBSCRIBE_SALT = "newsletter.unsubscribe"


def confirmation_token(*, subscriber_id: int, nonce: str) -> str:
    return signing.dumps([subscriber_id, nonce], salt=CONFIRM_SALT)


def read_confirmation_token(token: str) -> tuple[int, str] | None:
    """The (subscriber id, nonce) of a valid, unexpired token; None otherwise."""
    try:
        subscriber_id, nonce = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRMATION_PERIOD)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(subscriber_id), str(nonce)


def unsubscribe_token(*, address_hash: str, scope: str) -> str:
    return signing.dumps([address_hash, scope], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str, *, scope: str) -> str | None:
    """The address hash of a valid token for ``scope``; None otherwise."""
    try:
        hashed, token_scope = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return str(hashed) if token_scope == scope else None
