"""Statutory retention counts from the end of the calendar year of its trigger, in German time."""

from datetime import UTC, date, datetime

import pytest

from privacy.registry import AO_147, HGB_257

from .factories import berlin


@pytest.mark.parametrize(
    ("trigger", "last_day"),
    [
        (date(2019, 1, 1), date(2025, 12, 31)),
        (date(2019, 12, 31), date(2025, 12, 31)),
        (date(2020, 1, 1), date(2026, 12, 31)),
        (berlin(2019, 12, 31, 23, 59), date(2025, 12, 31)),
        # 23:30 UTC on 31 December is already New Year in Germany.
        (datetime(2019, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2019, 12, 31, 22, 59, tzinfo=UTC), date(2025, 12, 31)),
    ],
)
def test_hgb_keeps_six_years_from_the_end_of_the_trigger_year(trigger, last_day):
    assert HGB_257.held_until(trigger) == last_day


def test_ao_keeps_ten_years():
    assert AO_147.held_until(date(2015, 12, 31)) == date(2025, 12, 31)
    assert AO_147.holds(date(2015, 12, 31), today=date(2025, 12, 31))
    assert not AO_147.holds(date(2015, 12, 31), today=date(2026, 1, 1))


@pytest.mark.parametrize(
    "today", [date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 31)]
)
@pytest.mark.parametrize(
    "trigger", [date(2019, 12, 31), date(2020, 1, 1), date(2020, 12, 31), date(2021, 1, 1)]
)
def test_kept_since_is_the_filter_form_of_holds(today, trigger):
    assert HGB_257.holds(trigger, today=today) == (
        trigger >= HGB_257.kept_since(today=today).date()
    )
