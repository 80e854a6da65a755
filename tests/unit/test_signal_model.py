"""The integrity signals' pure rules: the period's days and the outlier test."""

from datetime import UTC, date, datetime

import pytest

from delivery.console.signals.model import (
    Period,
    Rule,
    Unit,
    binomial_tail,
    default_period,
    outliers,
    period_of,
)


def courier(key: str, delivered: int, far: int = 0, money: int = 0, gov: str = "IQ-BG") -> Unit:
    return Unit(kind="staff", key=key, governorate=gov,
                counts={"delivered": delivered, "far": far, "money_yes": money})


def test_a_period_runs_from_baghdad_midnight_to_the_next_midnight_after_its_last_day():
    period = Period(first=date(2026, 12, 1), last=date(2026, 12, 7))
    assert period.start == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 7, 21, 0, tzinfo=UTC)


def test_the_default_period_is_the_last_thirty_baghdad_days_with_today():
    late_evening_utc = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # already the 8th in Baghdad
    assert default_period(late_evening_utc) == Period(first=date(2026, 11, 9),
                                                      last=date(2026, 12, 8))


def test_a_period_asked_backwards_is_refused():
    with pytest.raises(ValueError):
        period_of(date(2026, 12, 7), date(2026, 12, 1), datetime.now(UTC))


def test_binomial_tail_matches_hand_computed_values():
    assert binomial_tail(0, 5, 0.3) == 1.0
    assert binomial_tail(3, 3, 0.5) == pytest.approx(0.125)
    assert binomial_tail(2, 3, 0.5) == pytest.approx(0.5)


def test_a_courier_far_from_every_citizen_stands_out_from_the_governorate():
    units = [courier("far-away", 10, far=8), courier("a", 20, far=1), courier("b", 15)]
    flags = outliers(units)
    assert [f.signal for f in flags[("staff", "far-away")]] == ["far"]
    assert ("staff", "a") not in flags and ("staff", "b") not in flags


def test_a_rate_like_the_rest_is_not_an_outlier():
    units = [courier("a", 20, far=4), courier("b", 20, far=5), courier("c", 20, far=3)]
    assert outliers(units) == {}


def test_too_few_events_are_a_complaint_to_read_not_a_pattern():
    units = [courier("a", 2, money=2), courier("b", 50)]
    assert outliers(units) == {}
    assert ("staff", "a") in outliers(units, Rule(min_trials=2, min_events=2))


def test_a_unit_alone_in_its_governorate_has_nothing_to_be_compared_with():
    units = [courier("alone", 10, far=10, gov="IQ-BA"), courier("b", 50, gov="IQ-BG")]
    assert outliers(units) == {}


def test_branches_are_compared_with_branches_and_staff_with_staff():
    branch = Unit(kind="branch", key="BG-002", governorate="IQ-BG",
                  counts={"delivered": 10, "far": 0})
    assert outliers([branch, courier("x", 10, far=9)]) == {}


def test_absent_is_read_as_a_share_of_the_failed_attempts():
    def failing(key, failed, absent):
        return Unit(kind="staff", key=key, governorate="IQ-BG",
                    counts={"failed": failed, "failed:absent": absent})

    flags = outliers([failing("always-absent", 8, 8), failing("b", 20, 4), failing("c", 20, 5)])
    assert [f.signal for f in flags[("staff", "always-absent")]] == ["failed:absent"]
