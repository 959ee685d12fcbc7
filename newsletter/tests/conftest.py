import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Each test starts with no sign-ups counted against its client."""
    from django.core.cache import caches

    caches["default"].clear()
