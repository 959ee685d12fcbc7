"""Statutory retention is one rule: the deletion run and an erasure keep exactly the rows the
law's end-of-year arithmetic (``StatutoryRetention.held_until``) says, for any dates."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dsar.services import erasure_preview
from dsar.tests.factories import make_request
from privacy.deletion import deletion_run
from privacy.registry import registry
from tests.retention_app.models import Letter, Order

pytestmark = pytest.mark.django_db

ADDRESS = "paula.pruefung@example.org"
RULES = {r.key: r for r in registry.retention_rules}
# A statutory rule on a DateTimeField trigger and one on a DateField, with their holders.
RULES_KEPT = {"test-letters": "retention_app.Letter", "test-orders": "retention_app.Order"}

ZONES = st.sampled_from([UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")])
years = st.integers(min_value=2001, max_value=2035)
# Any moment, and moments in the last hours of a year in UTC (already New Year in Germany).
triggers = st.one_of(
    st.datetimes(
        min_value=datetime(2001, 1, 1),  # noqa: DTZ001 (hypothesis takes naive bounds)
        max_value=datetime(2035, 12, 31),  # noqa: DTZ001
        timezones=ZONES,
    ),
    st.builds(
        lambda year, hour, minute: datetime(year, 12, 31, hour, minute, tzinfo=UTC),
        years,
        st.integers(min_value=21, max_value=23),
        st.integers(min_value=0, max_value=59),
    ),
)
# Any day, and the first and last days of years, where periods end.
days = st.one_of(
    st.dates(min_value=date(2002, 1, 1), max_value=date(2052, 12, 31)),
    st.builds(lambda year: date(year, 1, 1), st.integers(min_value=2002, max_value=2052)),
    st.builds(lambda year: date(year, 12, 31), st.integers(min_value=2002, max_value=2052)),
)


def _kept_by_erasure(*, today: date) -> dict[str, int]:
    """Per holder, how many rows an erasure of the address would keep."""
    preview = erasure_preview(request=make_request(email=ADDRESS), today=today)
    kept = {entry["name"]: sum(count for count, _reason in entry["kept"]) for entry in preview}
    return {label: kept.get(registry.holders[label].name, 0) for label in RULES_KEPT.values()}


def _kept_by_run(rule_key: str, *, today: date) -> int:
    now = datetime.combine(today, time(3, 15), tzinfo=timezone.get_default_timezone())
    result = deletion_run(now=now, dry_run=True, rules=[RULES[rule_key]])
    return sum(result.rules[0].held.values())


@hypothesis_settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trigger=triggers, today=days)
# 23:30 UTC on 31 December 2019 is 2020 in Germany: HGB keeps the letter through 2026.
@example(trigger=datetime(2019, 12, 31, 23, 30, tzinfo=UTC), today=date(2026, 1, 1))
@example(trigger=datetime(2019, 12, 31, 22, 59, tzinfo=UTC), today=date(2026, 1, 1))
@example(trigger=datetime(2015, 1, 1, tzinfo=ZoneInfo("Europe/Berlin")), today=date(2025, 12, 31))
def test_the_run_and_an_erasure_keep_what_the_law_keeps(trigger, today):
    # Both rules' periods (a month, a year) have run out: only the law can keep the rows.
    assume(today - timezone.localdate(trigger) > timedelta(days=400))
    with transaction.atomic():
        Letter.objects.create(email=ADDRESS, sent_at=trigger)
        Order.objects.create(
            email=ADDRESS, closed_at=trigger, invoiced_on=timezone.localdate(trigger)
        )
        expected = {
            key: int(RULES[key].statutory.holds(trigger, today=today)) for key in RULES_KEPT
        }
        # The run first: the erasure's open request would hold every row of the address.
        assert {key: _kept_by_run(key, today=today) for key in RULES_KEPT} == expected, today
        kept = _kept_by_erasure(today=today)
        assert {key: kept[holder] for key, holder in RULES_KEPT.items()} == expected, today
        transaction.set_rollback(True)
