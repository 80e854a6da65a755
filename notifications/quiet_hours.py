"""Quiet hours: SMS wait until morning in Baghdad rather than wake citizens at night."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import msgspec

BAGHDAD = ZoneInfo("Asia/Baghdad")
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class QuietHours(msgspec.Struct, frozen=True, kw_only=True):
    """A daily window in Baghdad time; it crosses midnight when start is after end."""

    start: dt.time
    end: dt.time

    @property
    def crosses_midnight(self) -> bool:
        """True for windows such as 22:00-08:00."""
        return self.start > self.end


def parse_quiet_hours(value: str | None) -> QuietHours | None:
    """`HH:MM-HH:MM` in Baghdad time; empty means none; ValueError names a malformed value."""
    if value is None or not value.strip():
        return None
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(f"SMS_QUIET_HOURS must look like 22:00-08:00, not {value!r}")
    try:
        start = dt.time(int(match[1]), int(match[2]))
        end = dt.time(int(match[3]), int(match[4]))
    except ValueError as error:
        raise ValueError(f"SMS_QUIET_HOURS has an impossible time: {value!r}") from error
    if start == end:
        raise ValueError(f"SMS_QUIET_HOURS starts and ends at the same time: {value!r}")
    return QuietHours(start=start, end=end)


def _require_aware(now_utc: dt.datetime) -> None:
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")


def is_quiet(now_utc: dt.datetime, quiet: QuietHours | None) -> bool:
    """True when the moment falls inside the quiet window, in Baghdad time."""
    _require_aware(now_utc)
    if quiet is None:
        return False
    local = now_utc.astimezone(BAGHDAD).time()
    if quiet.crosses_midnight:
        return local >= quiet.start or local < quiet.end
    return quiet.start <= local < quiet.end


def next_send_time(now_utc: dt.datetime, quiet: QuietHours | None) -> dt.datetime:
    """Now when sending is allowed, else the end of the quiet period, in UTC."""
    if not is_quiet(now_utc, quiet):
        return now_utc.astimezone(dt.UTC)
    assert quiet is not None
    local = now_utc.astimezone(BAGHDAD)
    end_day = local.date()
    if quiet.crosses_midnight and local.time() >= quiet.start:
        end_day += dt.timedelta(days=1)
    end = dt.datetime.combine(end_day, quiet.end, tzinfo=BAGHDAD)
    return end.astimezone(dt.UTC)
