import pytest
from django.test import Client

from consent.policy import forget_policy
from consent.texts import texts_hash


@pytest.fixture(autouse=True)
def _fresh_policy_memo():
    """Each test sees the policy versions of its own database, not a memo from another test."""
    forget_policy()
    texts_hash.cache_clear()
    yield
    forget_policy()


@pytest.fixture
def client():
    """A test client that, like every browser, names the sending page's origin on a POST."""
    return Client(headers={"Origin": "http://testserver"})
