from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery.custody.clock import ClockFlag, check_device_time, implausible

SERVER = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BAGHDAD = timezone(timedelta(hours=3))


def test_a_device_in_step_with_the_server_raises_nothing():
    check = check_device_time(SERVER - timedelta(seconds=2), SERVER, SERVER - timedelta(minutes=5))
    assert check.flags == frozenset()
    assert check.lag == timedelta(seconds=2)


def test_a_device_minutes_ahead_is_flagged():
    check = check_device_time(SERVER + timedelta(minutes=10), SERVER, None)
    assert check.flags == {ClockFlag.ahead}
    assert check.lag == timedelta(minutes=-10)


def test_a_device_slightly_ahead_is_tolerated():
    assert not check_device_time(SERVER + timedelta(seconds=90), SERVER, None).flags


def test_an_offline_upload_hours_late_is_normal_and_reports_its_lag():
    check = check_device_time(SERVER - timedelta(hours=6), SERVER, SERVER - timedelta(hours=7))
    assert check.flags == frozenset()
    assert check.lag == timedelta(hours=6)


def test_a_clock_that_runs_backwards_between_scans_is_flagged():
    check = check_device_time(SERVER - timedelta(hours=1), SERVER, SERVER - timedelta(minutes=5))
    assert check.flags == {ClockFlag.backwards}


def test_a_small_step_back_is_tolerated():
    previous = SERVER - timedelta(seconds=30)
    assert not check_device_time(SERVER - timedelta(seconds=60), SERVER, previous).flags


def test_both_faults_can_be_flagged_together():
    check = check_device_time(SERVER + timedelta(hours=1), SERVER, SERVER + timedelta(hours=2))
    assert check.flags == {ClockFlag.ahead, ClockFlag.backwards}


def test_the_time_zone_of_the_device_does_not_matter():
    local = (SERVER + timedelta(minutes=10)).astimezone(BAGHDAD)
    assert check_device_time(local, SERVER, None).flags == {ClockFlag.ahead}


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        check_device_time(datetime(2026, 3, 1, 12), SERVER, None)


def test_tolerances_can_be_tightened():
    check = check_device_time(
        SERVER + timedelta(seconds=30), SERVER, None, ahead_tolerance=timedelta(seconds=10)
    )
    assert check.flags == {ClockFlag.ahead}


@given(st.integers(min_value=0, max_value=24 * 3600))
def test_lateness_within_a_day_is_never_flagged(seconds_late):
    device_at = SERVER - timedelta(seconds=seconds_late)
    check = check_device_time(device_at, SERVER, device_at - timedelta(seconds=1))
    assert check.flags == frozenset()
    assert check.lag == timedelta(seconds=seconds_late)


@given(st.integers(min_value=24 * 3600 + 1, max_value=365 * 24 * 3600))
def test_lateness_beyond_a_day_is_flagged_behind(seconds_late):
    device_at = SERVER - timedelta(seconds=seconds_late)
    check = check_device_time(device_at, SERVER, device_at - timedelta(seconds=1))
    assert check.flags == {ClockFlag.behind}


@pytest.mark.parametrize(("device_at", "refused"), [
    (SERVER + timedelta(days=30), False),
    (SERVER + timedelta(days=30, seconds=1), True),
    (SERVER - timedelta(days=365), False),
    (SERVER - timedelta(days=365, seconds=1), True),
    (datetime.fromisoformat("9999-12-31T23:59:59.999999+00:00"), True),
    (datetime.fromisoformat("0001-01-01T00:00:00+23:59"), True),
])
def test_a_time_no_handheld_can_have_meant_is_refused(device_at, refused):
    assert (implausible(device_at, SERVER) is not None) == refused
