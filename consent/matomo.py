"""Matomo, configured from settings and the registry (its origin is in the static SECURE_CSP)."""

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

from privacy.registry import registry


@dataclass(frozen=True)
class MatomoConfig:
    url: str
    site_id: str
    visitor_timeout: int
    session_timeout: int
    referral_timeout: int

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def _seconds(pattern: str) -> int:
    """A Matomo cookie's lifetime in seconds, as the registry declares it (Matomo takes seconds)."""
    lifetime = registry.cookies[pattern].lifetime
    assert lifetime is not None, f"{pattern} is a persistent cookie"
    return int(lifetime.approximate().total_seconds())


def matomo_config() -> MatomoConfig | None:
    """The tracker's settings, or None when MATOMO_URL or MATOMO_SITE_ID is empty."""
    return _config(settings.MATOMO_URL.strip(), str(settings.MATOMO_SITE_ID).strip())


@lru_cache(maxsize=8)
def _config(url: str, site_id: str) -> MatomoConfig | None:
    if not url or not site_id:
        return None
    return MatomoConfig(
        url=url if url.endswith("/") else f"{url}/",
        site_id=site_id,
        visitor_timeout=_seconds("_pk_id.*"),
        session_timeout=_seconds("_pk_ses.*"),
        referral_timeout=_seconds("_pk_ref.*"),
    )
