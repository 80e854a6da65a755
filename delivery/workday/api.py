"""The handheld's routes for the working day: who am I, what did I do today, my branch's items,
and the citizen's phone number for the courier carrying the item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from litestar import Controller, Response, get, post
from litestar.params import Parameter

from delivery.platform.errors import NotAllowed
from delivery.platform.requests import NO_STORE
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles
from delivery.workday import model, services
from delivery.workday.services import MeOut, PhoneOut, ShelfPage, TodayOut

HANDHELD_ROLES = ("sorting_clerk", "branch_clerk", "courier")


class MeController(Controller):
    path = "/v1/me"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    security = [{"staffToken": []}]

    @get("/", summary="Who I am, where I work and who I work with")
    async def me(self, conn: asyncpg.Connection, staff: StaffUser) -> Response[MeOut]:
        """Any member of staff. `branches`: for a sorting clerk, the branches their centre
        serves; `couriers`: for a branch clerk or supervisor, their branch's active couriers;
        empty otherwise."""
        return Response(await services.me(conn, staff), headers=NO_STORE)

    @get("/today", summary="What I did today", guards=[require_roles(*HANDHELD_ROLES)])
    async def today(self, conn: asyncpg.Connection, staff: StaffUser) -> Response[TodayOut]:
        """Today in Asia/Baghdad: my custody events by scan action, my failed deliveries by
        reason, and, for a courier, the items in my hands (taken, out for delivery, or failed
        and not yet returned). Sorting clerks, branch clerks and couriers."""
        out = await services.today(conn, staff, now=datetime.now(UTC))
        return Response(out, headers=NO_STORE)


class BranchItemsController(Controller):
    path = "/v1/branch/items"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("branch_clerk", "supervisor")]
    security = [{"staffToken": []}]

    @get("/", summary="My branch's items in one state, those waiting longest first")
    async def shelf(
        self, conn: asyncpg.Connection, staff: StaffUser,
        item_state: Annotated[str | None, Parameter(query="state")] = None,
        cursor: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=model.SHELF_PAGE_MAX)] = 50,
    ) -> Response[ShelfPage]:
        """`state` one of `at_branch`, `ready_for_pickup` (default), `returning` (while still
        at the branch), `delivery_failed`, `out_for_delivery`; keyset-paginated (`next_cursor`
        back as `cursor`). Citizens by their initials only. Branch clerks and supervisors of a
        branch."""
        if staff.site_kind != "branch":
            raise NotAllowed("only a branch's clerks and supervisors have a branch's items")
        page = await services.shelf(conn, staff, state=item_state, cursor=cursor, limit=limit,
                                    now=datetime.now(UTC))
        return Response(page, headers=NO_STORE)


class PhoneController(Controller):
    path = "/v1/items"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("courier")]
    security = [{"staffToken": []}]

    @post("/{tracking_number:str}/phone", status_code=200,
          summary="The citizen's phone number, for the courier carrying the item")
    async def phone(self, conn: asyncpg.Connection, staff: StaffUser,
                    tracking_number: str) -> Response[PhoneOut]:
        """No body. Only to the courier holding the item while it is out for delivery (they
        scanned `take`); each reveal is recorded with the courier, the handheld and the time.
        Otherwise 403 saying why (`reason`: `not_yours`, `not_out_for_delivery`, `not_taken`),
        the same for another branch's item or one that does not exist."""
        out = await services.reveal_phone(conn, staff, tracking_number, now=datetime.now(UTC))
        return Response(out, headers=NO_STORE)


HANDLERS = [MeController, BranchItemsController, PhoneController]
