"""Checks a handheld scan of one item must pass, the same whichever path applies the scan.

Each check raises `ScanRefused` (or `TransitionRefused`) with the words a clerk reads; the only
side effect a refusal may carry is the missort alert of an item arriving at the wrong branch.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NoReturn

import asyncpg

from delivery.custody import store
from delivery.custody.context import CustodyContext
from delivery.custody.model import (
    CONFIRMED_BY,
    Action,
    Role,
    State,
    Transition,
    parse_action,
    required_proof,
)
from delivery.custody.proof import ScanRefused
from delivery.custody.store import ScanItem
from delivery.staff.auth import StaffUser

A = Action
HANDHELD_ACTIONS = frozenset({
    A.receive, A.bag, A.unbag, A.dispatch, A.arrive, A.to_courier, A.take, A.deliver, A.fail,
    A.return_, A.accept, A.shelve, A.collect, A.send_back, A.returned,
})
ScanAction = StrEnum("ScanAction", [(str(a), str(a)) for a in Action if a in HANDHELD_ACTIONS])
ScanAction.__doc__ = "What a handheld scan records (the handheld vocabulary: it may grow)."
# States entered with a fresh one-time code, and the SMS that carries it.
CODE_ON_ENTRY = {State.out_for_delivery: "out_for_delivery",
                 State.ready_for_pickup: "ready_for_pickup"}


def handheld_action(text: str) -> Action:
    """The scan's action, if it is one a handheld may send."""
    action = parse_action(text)
    if action not in HANDHELD_ACTIONS:
        raise ScanRefused(f"{text} cannot be scanned on a handheld", code="unknown_action")
    return action


def refuse_item_dispatch() -> NoReturn:
    """Items leave the sorting centre only in bags."""
    raise ScanRefused("dispatch a bag, not a single item: scan the bag's id", code="bag_required")


def refuse_unknown(code: str) -> NoReturn:
    """No item carries this tracking number."""
    raise ScanRefused(f"no item {code}", code="not_found")


def guard_site(staff: StaffUser, item: ScanItem, action: Action, now: datetime) -> None:
    """Clerks scan only their site's items, couriers only the items assigned to them.

    Checked before anything else about the item, and worded to tell nothing about it (neither
    its branch nor its state): whoever holds it by mistake learns only that it is not theirs.
    The supervisors learn the rest from the missort alert.
    """
    tn = item.tracking_number
    if staff.role == Role.branch_clerk and item.branch_id != staff.site_id:
        effects = (_missort(staff, item, now),) if action == A.arrive else ()
        raise ScanRefused(f"{tn} is not at your site", code="wrong_branch", effects=effects)
    if staff.role == Role.sorting_clerk and item.centre_id not in (None, staff.site_id):
        raise ScanRefused(f"{tn} is not at your site", code="wrong_site")
    if staff.role == Role.courier and item.courier_id != staff.id:
        raise ScanRefused(f"{tn} is not assigned to you", code="not_assigned")


def guard_pending(item: ScanItem, action: Action) -> None:
    """An open hand-over admits only the scan that confirms it."""
    if item.handover_action is None:
        return
    confirm = CONFIRMED_BY[Action(item.handover_action)]
    if action != confirm:
        raise ScanRefused(f"{item.tracking_number} awaits the `{confirm}` scan that confirms its "
                          "hand-over first", code="handover_unconfirmed")


def guard_proxy(ctx: CustodyContext, item: ScanItem, action: Action, has_proxy: bool) -> None:
    """A proxy may only collect, and only documents whose type allows it."""
    doc_type = ctx.types.get(item.document_type)
    if has_proxy and not (doc_type and doc_type.proxy_allowed and action == A.collect):
        raise ScanRefused(f"{item.tracking_number} must be handed to the holder in person",
                          code="proxy_not_allowed")


def needs_for(ctx: CustodyContext, item: ScanItem, transition: Transition):
    """What the scan must carry for this item's document type."""
    doc_type = ctx.types.get(item.document_type)
    return required_proof(transition, doc_type.needs_id_check if doc_type else True)


def givers_confirmed_by(action: Action) -> list[str]:
    """The giving actions whose hand-over `action` confirms."""
    return [str(give) for give, confirm in CONFIRMED_BY.items() if confirm == action]


def refuse_nothing_to_confirm(item: ScanItem) -> NoReturn:
    """A counter-scan with no hand-over waiting for it."""
    raise ScanRefused(f"no hand-over of {item.tracking_number} is waiting for you",
                      code="already_done")


def _missort(staff: StaffUser, item: ScanItem, now: datetime):
    async def alert(conn: asyncpg.Connection) -> None:
        await store.add_alert(conn, kind="missort", item_id=item.id, site_id=staff.site_id,
                              staff_id=staff.id, device_id=staff.device_id, now=now,
                              detail=f"{item.tracking_number} for {item.branch_code} arrived at "
                                     f"{staff.site_code}")

    return alert
