"""An agency recalls an item: cancelled if the post never had it, brought back if it does."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from delivery.custody import bagging, store
from delivery.custody.item import ItemRef
from delivery.custody.model import Action, Role, State, decide
from delivery.custody.services import Actor, record
from delivery.platform.errors import NotFound


async def cancel_by_agency(conn: asyncpg.Connection, *, agency_id: int,
                           tracking_number: str) -> None:
    """The agency recalls an item that has not left the sorting centre.

    One the post never had is cancelled; one in the sorting centre goes back to the agency
    (`returning`, out of any open bag), which signs for it there (`returned`).
    """
    async with conn.transaction():
        row = await conn.fetchrow(store.SELECT_AGENCY_ITEM, agency_id, tracking_number)
        if row is None:
            raise NotFound(f"no item {tracking_number} for this agency")
        item = ItemRef(id=row["id"], state=row["state"], agency_id=row["agency_id"],
                       tracking_number=row["tracking_number"], external_ref=row["external_ref"])
        transition = decide(State(item.state), Action.cancel, Role.agency)
        now = datetime.now(UTC)
        if transition.out_of_bag:
            await bagging.leave_open_bag(conn, item.id, why="recalled", now=now)
        await record(conn, item, transition, Action.cancel,
                     Actor(role=Role.agency, id=agency_id), now=now)
