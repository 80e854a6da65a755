"""When an item has waited too long in a state: a threshold per state (STUCK_AFTER_HOURS), and
the age buckets a supervisor sees stuck items in. Pure: values in, values out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from delivery.custody.model import ACTIVE_STATES, State

SETTING = "STUCK_AFTER_HOURS"
WEEK = timedelta(days=7)

# Hours an item may rest in each state before someone should look: a day for the moves staff
# make within a shift or two, more where the citizen or the post has good reason to wait
# (a registered item waits for the agency's courier; a pickup waits for the citizen's visit).
DEFAULT_HOURS: Mapping[State, float] = {
    State.registered: 72, State.received: 24, State.in_transit: 24, State.at_branch: 48,
    State.out_for_delivery: 12, State.delivery_failed: 24, State.ready_for_pickup: 240,
    State.returning: 72,
}
assert set(DEFAULT_HOURS) == ACTIVE_STATES, "every state an item can rest in has a threshold"

StuckAfter = Mapping[State, timedelta]
DEFAULT_STUCK_AFTER: StuckAfter = {s: timedelta(hours=h) for s, h in DEFAULT_HOURS.items()}


class Bucket(StrEnum):
    """How late a stuck item is, least first: past its threshold, past twice it, past a week
    (and twice it: a state whose threshold is near a week is not "a week late" at once)."""

    over = "over"
    double = "double"
    week = "week"


def parse_stuck_after(text: str) -> dict[State, timedelta]:
    """Thresholds from `registered=72,at_branch=48` (hours; may be empty) over the defaults."""
    hours: dict[State, float] = dict(DEFAULT_HOURS)
    seen: set[State] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = (piece.strip() for piece in part.partition("="))
        state = _active_state(name) if sep else None
        if state is None:
            raise ValueError(f"{SETTING}: expected state=hours, got {part!r}")
        if state in seen:
            raise ValueError(f"{SETTING}: {state} given twice")
        seen.add(state)
        hours[state] = _hours(state, value)
    return {state: timedelta(hours=h) for state, h in hours.items()}


def _active_state(name: str) -> State | None:
    if name not in State.__members__:
        known = ", ".join(sorted(DEFAULT_HOURS))
        raise ValueError(f"{SETTING}: unknown state {name!r}; known: {known}")
    state = State(name)
    if state not in ACTIVE_STATES:
        raise ValueError(f"{SETTING}: {name} is final, an item never waits in it")
    return state


def _hours(state: State, value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 365:  # also refuses nan and inf
        raise ValueError(f"{SETTING}: hours for {state} must be a number above 0, at most a year,"
                         f" got {value!r}")
    return hours


def limits(threshold: timedelta) -> tuple[timedelta, timedelta, timedelta]:
    """The ages at which an item enters each bucket, in `Bucket`'s order."""
    return threshold, 2 * threshold, max(2 * threshold, WEEK)


def bucket_of(age: timedelta, threshold: timedelta) -> Bucket | None:
    """The bucket of an item this old in a state with this threshold; None: not stuck."""
    found = None
    for bucket, limit in zip(Bucket, limits(threshold), strict=True):
        if age > limit:
            found = bucket
    return found


def cutoffs(now: datetime, threshold: timedelta) -> tuple[datetime, datetime, datetime]:
    """The times before which an item's last change puts it in each bucket, at `now`."""
    over, double, week = limits(threshold)
    return now - over, now - double, now - week
