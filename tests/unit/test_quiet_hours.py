import datetime as dt

import pytest

from notifications.quiet_hours import QuietHours, is_quiet, next_send_time, parse_quiet_hours

UTC = dt.UTC
NIGHT = parse_quiet_hours("22:00-08:00")


def utc(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_window_is_parsed_from_the_setting():
    assert QuietHours(start=dt.time(22), end=dt.time(8)) == NIGHT
    assert parse_quiet_hours(" 9:30 - 17:05 ") == QuietHours(
        start=dt.time(9, 30), end=dt.time(17, 5)
    )


@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_setting_means_no_quiet_hours(value):
    assert parse_quiet_hours(value) is None
    assert next_send_time(utc(1, 21), parse_quiet_hours(value)) == utc(1, 21)


@pytest.mark.parametrize(
    "value", ["22-08", "22:00", "25:00-08:00", "22:60-08:00", "x", "08:00-08:00"]
)
def test_malformed_setting_is_refused_naming_the_value(value):
    with pytest.raises(ValueError, match=value):
        parse_quiet_hours(value)


def test_daytime_in_baghdad_sends_now():
    now = utc(1, 9)  # 12:00 in Baghdad
    assert next_send_time(now, NIGHT) == now


def test_late_evening_waits_until_eight_next_morning_baghdad_time():
    now = utc(1, 20)  # 23:00 in Baghdad on the 1st
    assert next_send_time(now, NIGHT) == utc(2, 5)  # 08:00 Baghdad on the 2nd


def test_small_hours_wait_until_eight_the_same_morning():
    now = utc(1, 1, 30)  # 04:30 in Baghdad
    assert next_send_time(now, NIGHT) == utc(1, 5)


def test_window_edges_start_is_quiet_and_end_is_not():
    assert is_quiet(utc(1, 19), NIGHT)  # 22:00 Baghdad
    assert not is_quiet(utc(1, 5), NIGHT)  # 08:00 Baghdad
    assert is_quiet(utc(1, 4, 59), NIGHT)


def test_utc_midnight_is_still_baghdad_quiet_time():
    # 21:00 UTC on the 1st is 00:00 Baghdad on the 2nd: the window ends 08:00 on the 2nd.
    assert next_send_time(utc(1, 21), NIGHT) == utc(2, 5)


def test_window_within_one_day():
    siesta = parse_quiet_hours("13:00-16:00")
    assert next_send_time(utc(1, 11), siesta) == utc(1, 13)  # 14:00 Baghdad -> 16:00
    assert next_send_time(utc(1, 9), siesta) == utc(1, 9)  # 12:00 Baghdad: allowed
    assert next_send_time(utc(1, 14), siesta) == utc(1, 14)  # 17:00 Baghdad: allowed


def test_result_is_in_utc_whatever_zone_now_is_given_in():
    baghdad_evening = dt.datetime(2026, 3, 1, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    result = next_send_time(baghdad_evening, NIGHT)
    assert result == utc(2, 5) and result.utcoffset() == dt.timedelta(0)


def test_naive_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        next_send_time(dt.datetime(2026, 3, 1, 12), NIGHT)
