from datetime import timedelta

import pytest
from django.utils import timezone

from consent.models import ConsentReceipt
from consent.services import consent_give
from privacy.registry import registry

pytestmark = pytest.mark.django_db


def test_receipts_expire_by_the_registry_rule_after_three_years():
    rule = next(r for r in registry.retention_rules if r.holder == "consent.ConsentReceipt")
    now = timezone.now()
    old = consent_give(
        categories=set(), action="necessary", language="de", now=now - timedelta(days=3 * 365 + 2)
    )
    young = consent_give(
        categories=set(), action="necessary", language="de", now=now - timedelta(days=3 * 365 - 2)
    )
    assert list(rule.expired(now=now)) == [old]
    rule.expired(now=now).delete()
    assert list(ConsentReceipt.objects.all()) == [young]


def test_receipts_are_declared_with_their_fields():
    holder = registry.holders["consent.ConsentReceipt"]
    receipt = consent_give(categories={"statistics"}, action="all", language="de")
    exported = holder.export([receipt])[0]
    assert exported["consent_id"] == str(receipt.consent_id)
    assert exported["categories"] == ["statistics"]
    assert not holder.rows_for("someone@example.org").exists()


def test_the_consent_cookie_is_declared_strictly_necessary():
    cookie = registry.cookies["optigem_consent"]
    assert cookie.category == "necessary"
    assert cookie.legal_basis == "tdddg-25-2"
