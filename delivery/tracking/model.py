"""What a citizen may do on the tracking page, and when: pure rules, no I/O.

Which citizen events the custody table allows in which state is the table's (`CHOICE_STATES`,
and the `report` rows after a hand-over). What the page adds:
- the branch itself may change only while the item is still at the sorting centre
  (`BRANCH_CHANGE_STATES`): once bagged and dispatched it is physically at one branch;
- a location or a new day is useful only for a home delivery;
- the "did anyone ask you for money?" question is answered once per item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import msgspec

from delivery.custody.model import Action, Role, State, allowed_actions
from delivery.sites import calendar

BRANCH_CHANGE_STATES = frozenset({State.registered, State.received})
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


def working_days(after: date, holidays: Iterable[date], count: int = RESCHEDULE_DAYS_OFFERED,
                 ) -> list[date]:
    """The next `count` working days after `after` (the days a reschedule may choose)."""
    return calendar.working_days(after, holidays, count)


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
