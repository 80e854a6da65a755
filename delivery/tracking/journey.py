"""Where a document is on its way to the citizen, in five steps, and what the page asks of them
first: pure rules, no I/O.

The steps are the citizen's, not custody's: a sorting centre that received the item and one that
dispatched it are the same step to them; the fourth step is the courier's for a home delivery and
the branch counter's for a pickup.
"""

from __future__ import annotations

from delivery.custody.model import State
from delivery.tracking.model import Offers

COURIER, READY = "courier", "ready"
STEP_OF_STATE = {
    State.registered: "accepted",
    State.received: "sorting",
    State.in_transit: "sorting",
    State.at_branch: "branch",
    State.delivery_failed: "branch",
    State.out_for_delivery: COURIER,
    State.ready_for_pickup: READY,
    State.delivered: "hands",
    State.collected: "hands",
}
# Once the document is in the citizen's hands, or will not reach them, there is nothing to bring.
ENDED_STATES = frozenset({State.delivered, State.collected, State.returning,
                          State.returned_to_agency, State.cancelled, State.lost, State.damaged})


def steps(state: State, mode: str | None) -> tuple[tuple[str, ...], str | None]:
    """The five steps for this item and the current one (None once it left the way to them)."""
    current = STEP_OF_STATE.get(state)
    pickup = mode == "pickup" or current == READY
    last_mile = COURIER if current == COURIER else READY if pickup else COURIER
    return ("accepted", "sorting", "branch", last_mile, "hands"), current


def bring_applies(state: State, mode: str | None) -> bool:
    """Whether 'what to bring' still helps: a pickup ahead, not one done or called off."""
    return state not in ENDED_STATES and (mode == "pickup" or state == State.ready_for_pickup)


def first_task(offered: Offers, mode: str | None, *, location_known: bool) -> str | None:
    """The one form the page opens: how to get it, then where they live, then the money
    question; every other form stays folded."""
    if (offered.choose_home or offered.choose_pickup) and mode is None:
        return "mode"
    if offered.share_location and mode == "home" and not location_known:
        return "location"
    if offered.report:
        return "report"
    return None
