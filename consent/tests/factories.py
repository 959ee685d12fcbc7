"""Helpers for consent tests: decide through HTTP, as a visitor does."""

from django.test import Client

from consent.privacy import CONSENT_COOKIE


def decide(client: Client, action: str, *, next_url: str = "/", **extra) -> str:
    """Post a banner decision without JavaScript; return the consent cookie's value."""
    response = client.post("/cookies/", {"action": action, "next": next_url, **extra})
    assert response.status_code == 303, response.content
    return response.cookies[CONSENT_COOKIE].value


def banner_shown(response) -> bool:
    return b'id="consent-banner"' in response.content
