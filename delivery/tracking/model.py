"""What a citizen may do on the tracking page, and when: pure rules, no I/O.

Which citizen events the custody table allows in which state is the table's (`CHOICE_STATES`,
and the `report` rows after a hand-over). What the page adds:
- the branch itself may change only while the item is still at the sorting centre
  (`BRANCH_CHANGE_STATES`): once bagged and dispatched it is physically at one branch;
- a location or a new day is useful only for a home delivery;
- the "did anyone ask you for money?" question is answered once per item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import msgspec

from delivery.custody.model import Action, Role, State, allowed_actions
from delivery.sites import calendar

BRANCH_CHANGE_STATES = frozenset({State.registered, State.received})
# How many working days after today an item in each state can first be at the citizen's door:
# it still has to reach the sorting centre, be sorted and travel to its branch.
DELIVERY_LEAD_WORKING_DAYS: Mapping[State, int] = {
    State.registered: 3, State.received: 2, State.in_transit: 1, State.at_branch: 1,
    State.delivery_failed: 1,
}
WINDOWS = ("morning", "afternoon")
RESCHEDULE_DAYS_OFFERED = 5
# A generous box around Iraq: a point outside it is a mistake, not an address.
IRAQ_BOUNDS = (29.0, 38.7, 37.5, 48.8)  # min lat, min lon, max lat, max lon


class Offers(msgspec.Struct, frozen=True, kw_only=True):
    """Which forms the page shows for an item."""

    choose_home: bool
    choose_pickup: bool
    change_branch: bool
    share_location: bool
    reschedule: bool
    report: bool


def offers(state: State, mode: str | None, *, reported: bool, purged: bool = False) -> Offers:
    """The choices open to the citizen for an item in `state` with delivery `mode`; none once
    its personal data was purged (an answer then would store personal data again)."""
    allowed = frozenset() if purged else allowed_actions(state, Role.citizen)
    return Offers(
        choose_home=Action.choose_home in allowed and mode != "home",
        choose_pickup=Action.choose_pickup in allowed,
        change_branch=Action.choose_pickup in allowed and state in BRANCH_CHANGE_STATES,
        share_location=Action.share_location in allowed and mode != "pickup",
        reschedule=Action.reschedule in allowed and mode != "pickup",
        report=Action.report in allowed and not reported,
    )


def earliest_delivery_day(state: State, today: date, holidays: Iterable[date]) -> date | None:
    """The first day an item in `state` can be delivered (None when no delivery lies ahead)."""
    lead = DELIVERY_LEAD_WORKING_DAYS.get(state)
    if lead is None:
        return None
    days = calendar.working_days(today, holidays, lead)
    return days[-1] if len(days) == lead else None


def delivery_days(state: State, today: date, holidays: Iterable[date],
                  count: int = RESCHEDULE_DAYS_OFFERED) -> list[date]:
    """The working days a citizen may choose: `count` of them from the earliest the item can
    make, never one it cannot."""
    closed = frozenset(holidays)
    earliest = earliest_delivery_day(state, today, closed)
    if earliest is None:
        return []
    later = calendar.working_days(earliest, closed, count - 1) if count > 1 else []
    return [earliest, *later]


def parse_limit(text: str) -> tuple[int, int]:
    """'60/60' → (60 requests, per 60 seconds)."""
    count, _, seconds = text.partition("/")
    limit = (int(count), int(seconds or 60))
    if limit[0] < 1 or limit[1] < 1:
        raise ValueError(f"a rate limit is count/seconds, both positive: {text!r}")
    return limit


def in_iraq(lat: float, lon: float) -> bool:
    """Whether a point lies in the box around Iraq."""
    min_lat, min_lon, max_lat, max_lon = IRAQ_BOUNDS
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
