"""Test mode: a test-mode agency moves its own items through the states staff would, so its
integrators see the real webhooks and the citizen's (console-only) messages.

Each step is the handheld's transition from the item's state, recorded like any other custody
event; what a real hand-over proves (a one-time code, an ID check, a bag, a courier) is not asked.
A hand-over of an item that replaces an old document takes the old one back (an item of its own,
as at a real hand-over) unless `old_document_lost` says the citizen declared it lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import asyncpg
import msgspec

from delivery.custody import old_items, store
from delivery.custody.context import CustodyContext
from delivery.custody.item import ItemRef
from delivery.custody.model import TRANSITIONS, Action, Need, Role, State
from delivery.custody.old_documents import simulated_handover
from delivery.custody.services import Actor, record
from delivery.platform.errors import Conflict, FieldError, InvalidInput, NotAllowed, NotFound

# The steps, in the order an item usually takes them.
STEPS = ("receive", "dispatch", "arrive", "to_courier", "deliver", "fail", "return", "shelve",
         "collect")
# As the handheld's (`delivery.custody.judge.FAIL_REASONS`).
FailReason = Literal["absent", "refused", "address_not_found", "unsafe", "wrong_person", "other"]


class SimulateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One step for a test-mode item: `receive` (registered → received), `dispatch`
    (→ in_transit), `arrive` (→ at_branch), `to_courier` (→ out_for_delivery), `deliver`
    (→ delivered), `fail` (→ delivery_failed, with a `reason`), `return` (delivery_failed →
    at_branch), `shelve` (at_branch → ready_for_pickup), `collect` (→ collected)."""

    action: Annotated[Literal["receive", "dispatch", "arrive", "to_courier", "deliver", "fail",
                              "return", "shelve", "collect"], msgspec.Meta(examples=["receive"])]
    reason: Annotated[FailReason | None, msgspec.Meta(
        description="Why the attempt failed; with `fail` only.", examples=["absent"])] = None
    old_document_lost: Annotated[bool, msgspec.Meta(
        description="With `deliver` or `collect` of an item that replaces an old document: the "
                    "citizen declares it lost (otherwise the old document is taken back).")] = False


async def simulate(conn: asyncpg.Connection, ctx: CustodyContext, *, agency_id: int,
                   test_mode: bool, tracking_number: str, step: SimulateIn) -> None:
    """Apply one step to one of the agency's test-mode items; 403 for an agency not in test
    mode, 404 for an item not its own, 409 when the step does not follow from the state."""
    if not test_mode:
        raise NotAllowed("only a test-mode agency (tasheel agency create … --test) simulates")
    if (step.reason is None) == (step.action == "fail"):
        raise InvalidInput("`reason` goes with `fail`, and only with it", errors=[FieldError(
            field="/reason", message="required with fail" if step.action == "fail"
            else "only with fail")])
    async with conn.transaction():
        row = await conn.fetchrow(store.SELECT_AGENCY_ITEM + " FOR UPDATE", agency_id,
                                  tracking_number)
        if row is None:
            raise NotFound(f"no item {tracking_number} for this agency")
        item = ItemRef(id=row["id"], state=row["state"], agency_id=row["agency_id"],
                       tracking_number=row["tracking_number"], external_ref=row["external_ref"])
        action = Action(step.action)
        transition = TRANSITIONS.get((State(item.state), action))
        if transition is None or transition.to == item.state:
            raise Conflict(f"cannot {step.action} an item that is {item.state}; possible: "
                           f"{', '.join(possible(State(item.state))) or 'nothing (final)'}")
        takes_old = Need.old_document in transition.needs and (
            row["old_document_number"] is not None
            or ctx.rules_of(row["document_type"]).takes_old_document)
        if step.old_document_lost and not takes_old:
            raise InvalidInput("`old_document_lost` goes with the hand-over of an item that "
                               "replaces an old document", errors=[FieldError(
                                   field="/old_document_lost",
                                   message="no old document to take back at this step")])
        payload: dict = {"simulated": True}
        if step.reason:
            payload["reason"] = step.reason
        if takes_old:
            payload["old_document"] = simulated_handover(row["old_document_number"],
                                                         step.old_document_lost)
        actor = Actor(role=min(r for r in transition.roles if r != Role.system))
        now = datetime.now(UTC)
        await record(conn, item, transition, action, actor, now=now, payload=payload)
        if takes_old and not step.old_document_lost:
            await old_items.take_back(conn, ctx, actor, item, holder_id=None, now=now,
                                      device_at=None)


def possible(state: State) -> list[str]:
    """The steps that move an item on from `state`."""
    return [s for s in STEPS if (row := TRANSITIONS.get((state, Action(s)))) and row.to != state]
