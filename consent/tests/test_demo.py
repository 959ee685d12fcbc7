import pytest
from django.db.models import Count

from consent.demo import load_demo_content
from consent.models import ConsentReceipt

pytestmark = pytest.mark.django_db


def test_demo_content_loads_once_and_shows_a_consent_later_withdrawn():
    load_demo_content()
    load_demo_content()
    assert ConsentReceipt.objects.count() == 3
    twice = (
        ConsentReceipt.objects.values("consent_id").annotate(n=Count("pk")).get(n=2)["consent_id"]
    )
    history = ConsentReceipt.objects.for_consent_id(twice)
    assert [r.action for r in history] == ["all", "necessary"]
