"""The rules of a working day on the handheld, with no I/O: which states a branch's shelf lists,
what a courier holds, when a courier may see a citizen's phone number, and the shelf's cursor."""

from __future__ import annotations

from datetime import datetime

import msgspec

from delivery.custody.model import Action, State
from delivery.platform.errors import FieldError, InvalidInput, NotAllowed

# What a branch's clerks look at, and what they see first.
SHELF_STATES = (State.at_branch, State.ready_for_pickup, State.returning, State.delivery_failed,
                State.out_for_delivery)
DEFAULT_SHELF_STATE = State.ready_for_pickup
# States in which an item is in a courier's hands (until they return it to the branch).
HELD_BY_COURIER = (State.out_for_delivery, State.delivery_failed)
SHELF_PAGE_MAX = 100


class ItemHeld(msgspec.Struct, frozen=True, kw_only=True):
    """What decides whether a courier may see the citizen's phone number."""

    state: str
    courier_id: int | None
    handover_action: str | None


def shelf_state(text: str | None) -> State:
    """The state asked for (default ready_for_pickup); any other is a 422 naming `state`."""
    if text is None:
        return DEFAULT_SHELF_STATE
    if text not in SHELF_STATES:
        known = ", ".join(SHELF_STATES)
        raise InvalidInput(f"a branch's list shows no state {text!r}", errors=[
            FieldError(field="query:state", message=f"one of {known}")])
    return State(text)


def refuse_phone(item: ItemHeld | None, courier_id: int, tracking_number: str) -> None:
    """NotAllowed unless the courier holds the item, out for delivery, having taken it.

    An item of another branch, another courier's and one that does not exist get the same
    answer, which tells nothing about it; only the courier holding the item learns its state.
    """
    if item is None or item.courier_id != courier_id or item.state not in HELD_BY_COURIER:
        raise NotAllowed(f"{tracking_number} is not in your hands", reason="not_yours")
    if item.state != State.out_for_delivery:
        raise NotAllowed(f"{tracking_number} is not out for delivery", reason="not_out_for_delivery")
    if item.handover_action == Action.to_courier:
        raise NotAllowed(f"scan `take` on {tracking_number} first: it is not yours until you do",
                         reason="not_taken")


def days_waiting(since: datetime, now: datetime) -> int:
    """Whole days since `since` (0 on the first day)."""
    return max((now - since).days, 0)


