"""The deadline of Art. 12(3) GDPR: one calendar month, paused for the identity check, extendable.

Calendar-month arithmetic (``relativedelta``) keeps the month's end: a request received on
31 January is due on 28 (or 29) February, not on 2 or 3 March as a 30-day rule would say.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

ANSWER_MONTHS = 1
MAX_EXTENSION_MONTHS = 2
REMINDER_DAYS = 7
# A request whose identity check has not started after this many days is flagged.
IDENTITY_FLAG_DAYS = 7


def paused_days(
    *, received_on: date, identity_check_started_on: date | None, identity_verified_on: date
) -> int:
    """Days the clock stood still while the requester's identity was being verified."""
    start = identity_check_started_on or received_on
    return max((identity_verified_on - start).days, 0)


def due_date(
    *,
    received_on: date,
    identity_check_started_on: date | None,
    identity_verified_on: date | None,
    extension_months: int = 0,
) -> date | None:
    """The last day to answer, or None while the clock is paused (identity not yet verified)."""
    if identity_verified_on is None:
        return None
    pause = paused_days(
        received_on=received_on,
        identity_check_started_on=identity_check_started_on,
        identity_verified_on=identity_verified_on,
    )
    return received_on + relativedelta(months=ANSWER_MONTHS + extension_months) + timedelta(pause)
