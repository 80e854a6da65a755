"""What a report asks for and how its rows read: periods, groupings, CSV rows. Pure.

A period is whole days in Asia/Baghdad (UTC+3 all year): `from` 2026-03-01 starts at
2026-02-28T21:00Z, `to` 2026-03-31 ends before 2026-03-31T21:00Z. An item belongs to the period
it was registered in, whatever happened to it later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec

BAGHDAD = ZoneInfo("Asia/Baghdad")
DEFAULT_SPAN = timedelta(days=29)  # with both ends included: 30 days
MAX_SPAN = timedelta(days=365)  # with both ends included: 366 days, a leap year
# "Handed over within N days of registration", for these N.
WITHIN_DAYS = (1, 3, 7, 14)
RETURN_STATES = ("returning", "returned_to_agency")
CSV_COLUMNS = ("external_ref", "tracking_number", "document_type", "state", "registered_at",
               "handed_over_at", "attempts", "last_failure_reason", "return_reason", "branch",
               "branch_name")


class GroupBy(StrEnum):
    """How a summary splits its counts."""

    document_type = "document_type"
    governorate = "governorate"
    branch = "branch"
    day = "day"  # the Asia/Baghdad day the item was registered


class PeriodRefused(Exception):
    """A period that is not one: `to` before `from`, or longer than a report covers."""


class Period(msgspec.Struct, frozen=True, kw_only=True):
    first: date
    last: date

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(), BAGHDAD)

    @property
    def ends(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), BAGHDAD)


def period(first: date | None, last: date | None, *, today: date) -> Period:
    """The days asked for: by default the 30 days to `today`; at most 366."""
    last = last or (today if first is None else min(today, first + DEFAULT_SPAN))
    first = first or last - DEFAULT_SPAN
    if first > last:
        raise PeriodRefused("from must not be after to")
    if last - first > MAX_SPAN:
        raise PeriodRefused(f"a report covers at most {MAX_SPAN.days + 1} days")
    return Period(first=first, last=last)


def local_day(moment: datetime) -> date:
    return moment.astimezone(BAGHDAD).date()


def csv_row(row: Mapping) -> list[str]:
    """One item as the CSV gives it: times in Asia/Baghdad with their offset, blanks for none."""
    return [row["external_ref"], row["tracking_number"], row["document_type"], row["state"],
            _moment(row["registered_at"]), _moment(row["handed_over_at"]), str(row["attempts"]),
            row["last_failure_reason"] or "", row["return_reason"] or "", row["branch"] or "",
            row["branch_name"] or ""]


def _moment(value: datetime | None) -> str:
    return value.astimezone(BAGHDAD).isoformat() if value else ""
