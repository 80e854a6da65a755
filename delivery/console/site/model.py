"""The site view's rules, pure: counts with every state, stuck items by age, which alerts are
open, pages of a list, error texts with their phone numbers masked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import msgspec

from delivery.custody.model import State
from delivery.custody.stuck import Bucket, bucket_of
from delivery.custody.supervisor import AlertOut
from delivery.platform.privacy import mask_phone

PAGE_SIZE = 25
T = TypeVar("T")

# A run of digits long enough to be a phone number (providers' errors name the number refused).
_PHONE = re.compile(r"\+?\d[\d \-]{5,}\d")


class AlertKey(msgspec.Struct, frozen=True, kw_only=True):
    """One occurrence of an alert: its kind, what it concerns, since when."""

    kind: str
    subject: str
    since: datetime


class Acknowledgement(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    at: datetime


class SiteAlert(msgspec.Struct, frozen=True, kw_only=True):
    """An alert as the page shows it, with its acknowledgement if it has one."""

    alert: AlertOut
    key: AlertKey
    acknowledged: Acknowledgement | None = None


class StuckGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A state's stuck items, counted per bucket (in `Bucket`'s order)."""

    state: State
    threshold: timedelta
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


def counts_by_state(rows: Iterable[tuple[str, int]]) -> list[tuple[State, int]]:
    """Every state in the table's order, with its count (zero when no item is in it)."""
    found = dict(rows)
    return [(state, found.get(state, 0)) for state in State]


def stuck_groups(rows: Iterable[tuple[str, int, int, int]],
                 thresholds: Mapping[State, timedelta]) -> list[StuckGroup]:
    """Per state that has stuck items (in the table's order), its counts per bucket."""
    found = {state: tuple(counts) for state, *counts in rows}
    return [StuckGroup(state=s, threshold=thresholds[s], counts=found[s])
            for s in State if s in found and any(found[s])]


def age_bucket(state: State, since: datetime, now: datetime,
               thresholds: Mapping[State, timedelta]) -> Bucket | None:
    """How late an item is that has been in `state` since `since`."""
    threshold = thresholds.get(state)
    return None if threshold is None else bucket_of(now - since, threshold)


def alert_key(alert: AlertOut) -> AlertKey:
    """What names an occurrence: a tracking number, else a bag, else a device, else the text."""
    subject = alert.tracking_number or alert.bag_id or alert.device_id or alert.detail
    return AlertKey(kind=alert.kind, subject=subject, since=alert.since)


def with_acknowledgements(alerts: Iterable[AlertOut],
                          acks: Mapping[AlertKey, Acknowledgement]) -> list[SiteAlert]:
    """Each alert with its acknowledgement, if this occurrence has one."""
    keyed = ((alert, alert_key(alert)) for alert in alerts)
    return [SiteAlert(alert=a, key=k, acknowledged=acks.get(k)) for a, k in keyed]


def page_of(rows: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[list[T], bool]:
    """Page `page` (from 1) of `rows`, and whether another follows."""
    start = (max(page, 1) - 1) * size
    return list(rows[start:start + size]), len(rows) > start + size


def masked_error(text: str | None) -> str:
    """A stopped row's last error, every phone number in it masked."""
    return _PHONE.sub(lambda m: mask_phone(m.group()), text or "")
