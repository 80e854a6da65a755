"""Checks on the clock a handheld reports with each scan.

A device clock ahead of the server, or one that runs backwards between two scans, makes its
times untrustworthy and is flagged. A scan uploaded hours late from an offline queue is normal:
its lag is reported, not flagged.
"""

from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

AHEAD_TOLERANCE = timedelta(seconds=120)
BACKWARDS_TOLERANCE = timedelta(seconds=120)


class ClockFlag(StrEnum):
    ahead = "ahead"
    backwards = "backwards"


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
    if previous_device_at is not None and previous_device_at - device_at > backwards_tolerance:
        flags.add(ClockFlag.backwards)
    return ClockCheck(flags=frozenset(flags), lag=lag)


def _require_aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("device and server times must carry a time zone")
