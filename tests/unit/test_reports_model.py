"""A report's period is whole Asia/Baghdad days; its rows tally into one summary per key."""

from datetime import UTC, date, datetime, timedelta

import pytest

from delivery.platform.cursors import decode_cursor, encode_cursor
from delivery.platform.errors import InvalidInput
from delivery.reports import model
from delivery.reports.services import tally

TODAY = date(2026, 3, 31)


def test_a_period_runs_from_baghdad_midnight_to_the_midnight_after_its_last_day():
    period = model.period(date(2026, 3, 1), date(2026, 3, 31), today=TODAY)
    assert period.starts.astimezone(UTC) == datetime(2026, 2, 28, 21, tzinfo=UTC)
    assert period.ends.astimezone(UTC) == datetime(2026, 3, 31, 21, tzinfo=UTC)


def test_without_dates_a_period_is_the_last_thirty_days():
    period = model.period(None, None, today=TODAY)
    assert (period.first, period.last) == (date(2026, 3, 2), TODAY)


def test_from_alone_runs_thirty_days_but_not_past_today():
    assert model.period(date(2026, 1, 1), None, today=TODAY).last == date(2026, 1, 30)
    assert model.period(date(2026, 3, 20), None, today=TODAY).last == TODAY


@pytest.mark.parametrize(("first", "last"), [
    (date(2026, 3, 2), date(2026, 3, 1)),
    (date(2025, 3, 1), date(2026, 3, 2)),  # 367 days
])
def test_a_period_backwards_or_longer_than_a_leap_year_is_refused(first, last):
    with pytest.raises(model.PeriodRefused):
        model.period(first, last, today=TODAY)


def test_a_leap_year_is_one_period():
    period = model.period(date(2028, 1, 1), date(2028, 12, 31), today=TODAY)
    assert period.ends - period.starts == timedelta(days=366)


def test_rows_tally_into_groups_ordered_by_key_with_the_ungrouped_last():
    rows = [
        {"kind": "state", "key": "passport", "name": "delivered", "n": 3},
        {"kind": "state", "key": "passport", "name": "returning", "n": 1},
        {"kind": "failure", "key": "passport", "name": "absent", "n": 2},
        {"kind": "failure", "key": "passport", "name": None, "n": 1},
        {"kind": "return", "key": "passport", "name": "hold_expired", "n": 1},
        {"kind": "within", "key": "passport", "name": "3", "n": 2},
        {"kind": "handover", "key": "passport", "name": None, "n": 3, "median_hours": 40.004,
         "p90_hours": 85.0},
        {"kind": "state", "key": "national_id", "name": "registered", "n": 2},
    ]
    national_id, passport = tally(rows)
    assert national_id.key == "national_id" and national_id.items == 2
    assert national_id.handed_over.count == 0 and national_id.handed_over.median_hours is None
    assert national_id.handed_over.within_days == {"1": 0, "3": 0, "7": 0, "14": 0}
    assert passport.items == 4 and passport.returns == 1
    assert passport.failed_attempts == 3
    assert passport.failed_attempts_by_reason == {"absent": 2, "unknown": 1}
    assert passport.handed_over.within_days == {"1": 0, "3": 2, "7": 0, "14": 0}
    assert passport.handed_over.median_hours == 40.0


def test_a_cursor_comes_back_as_the_row_it_ended_at():
    at = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, 4211)) == (at, 4211)


@pytest.mark.parametrize("cursor", ["not-a-cursor", encode_cursor(datetime(1, 1, 1, tzinfo=UTC), 1)])
def test_a_cursor_not_given_out_is_refused(cursor):
    with pytest.raises(InvalidInput):
        decode_cursor(cursor)


def test_csv_rows_give_times_in_baghdad_and_blanks_for_nothing():
    row = {"external_ref": "R-1", "tracking_number": "RR123456785IQ", "document_type": "passport",
           "state": "registered", "registered_at": datetime(2026, 3, 1, 6, 30, tzinfo=UTC),
           "handed_over_at": None, "attempts": 0, "last_failure_reason": None,
           "return_reason": None, "branch": None, "branch_name": None}
    assert model.csv_row(row) == ["R-1", "RR123456785IQ", "passport", "registered",
                                  "2026-03-01T09:30:00+03:00", "", "0", "", "", "", ""]
