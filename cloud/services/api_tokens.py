"""API keys of an organisation: shown once, stored as a digest, revoked, authenticated."""

import hashlib
import secrets

from django.utils import timezone

from ..models import ApiToken, Organisation

TOKEN_PREFIX = "cx_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, organisation: Organisation, name: str) -> tuple[ApiToken, str]:
    """Return the token and its key; the key is shown once and only its digest is stored."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organisation=organisation, name=name, prefix=key[:10], digest=_digest(key))
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_authenticate(key: str) -> ApiToken | None:
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.all_tenants.active()
        .select_related("organisation")
        .filter(digest=_digest(key))
        .first()
    )
    if token is not None:
        ApiToken.all_tenants.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
