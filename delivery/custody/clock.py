"""Checks on the clock a handheld reports with each scan.

A device clock ahead of the server, or one that runs backwards between two scans, makes its
times untrustworthy and is flagged. A scan uploaded hours late from an offline queue is normal:
its lag is reported, not flagged; a day late, it is flagged `behind`. A time no handheld can
have meant (more than 30 days ahead, more than a year behind, or at the calendar's ends) is
refused: kept, it would become the handheld's last known time and judge all its later scans.
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import msgspec

AHEAD_TOLERANCE = timedelta(seconds=120)
BACKWARDS_TOLERANCE = timedelta(seconds=120)
BEHIND_TOLERANCE = timedelta(days=1)
REFUSED_AHEAD = timedelta(days=30)
REFUSED_BEHIND = timedelta(days=365)


class ClockFlag(StrEnum):
    ahead = "ahead"
    backwards = "backwards"
    behind = "behind"


class ClockCheck(msgspec.Struct, frozen=True, kw_only=True):
    """Flags raised by one scan's device time, and how late it reached the server."""

    flags: frozenset[ClockFlag]
    lag: timedelta  # server time minus device time; negative when the device runs ahead


def check_device_time(
    device_at: datetime,
    server_at: datetime,
    previous_device_at: datetime | None,
    *,
    ahead_tolerance: timedelta = AHEAD_TOLERANCE,
    backwards_tolerance: timedelta = BACKWARDS_TOLERANCE,
) -> ClockCheck:
    """Flag a device time ahead of the server or behind the same device's previous scan."""
    _require_aware(device_at, server_at, previous_device_at)
    lag = server_at - device_at
    flags = set()
    if -lag > ahead_tolerance:
        flags.add(ClockFlag.ahead)
    if lag > BEHIND_TOLERANCE:
        flags.add(ClockFlag.behind)
    if previous_device_at is not None and previous_device_at - device_at > backwards_tolerance:
        flags.add(ClockFlag.backwards)
    return ClockCheck(flags=frozenset(flags), lag=lag)


def implausible(device_at: datetime, server_at: datetime) -> str | None:
    """Why a device time cannot be taken as a scan's time, or None when it can."""
    _require_aware(device_at, server_at)
    try:
        lag = server_at - device_at.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 has no UTC time
        return "the handheld's time is outside the calendar"
    if -lag > REFUSED_AHEAD:
        return f"the handheld's clock is more than {REFUSED_AHEAD.days} days ahead"
    if lag > REFUSED_BEHIND:
        return f"the handheld's time is more than {REFUSED_BEHIND.days} days old"
    return None


def _require_aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("device and server times must carry a time zone")
