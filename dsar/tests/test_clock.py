from datetime import date

import pytest

from dsar.clock import due_date

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_one_calendar_month_keeps_the_end_of_the_month(received, due):
    assert (
        due_date(
            received_on=received, identity_check_started_on=None, identity_verified_on=received
        )
        == due
    )


def test_clock_is_paused_while_identity_is_unverified():
    assert (
        due_date(
            received_on=date(2026, 1, 31), identity_check_started_on=None, identity_verified_on=None
        )
        is None
    )


def test_pause_for_the_identity_check_moves_the_deadline_by_its_days():
    due = due_date(
        received_on=date(2026, 1, 10),
        identity_check_started_on=date(2026, 1, 12),
        identity_verified_on=date(2026, 1, 20),
    )
    assert due == date(2026, 2, 18)


def test_without_a_start_date_the_clock_rests_from_receipt():
    due = due_date(
        received_on=date(2026, 1, 10),
        identity_check_started_on=None,
        identity_verified_on=date(2026, 1, 15),
    )
    assert due == date(2026, 2, 15)


def test_extension_adds_calendar_months():
    due = due_date(
        received_on=date(2026, 1, 31),
        identity_check_started_on=None,
        identity_verified_on=date(2026, 1, 31),
        extension_months=2,
    )
    assert due == date(2026, 4, 30)
