"""Staff routes that are not about items: logging in, renewing the token."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, Request, Response, post
from litestar.datastructures import State

from delivery.platform.requests import NO_STORE, request_client
from delivery.platform.settings import Settings
from delivery.staff import services
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser
from delivery.staff.services import TokenOut


async def start_staff(state: State) -> None:
    """Hash new passwords with the configured argon2 costs."""
    services.configure_hashing(state.settings)


class LoginIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A member of staff on one handheld: the token will work from that `device_id` only."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["staff"]

    @post("/login", status_code=200, summary="A staff token for one handheld")
    async def login(self, request: Request[Any, Any, Any], state: State, conn: asyncpg.Connection,
                    settings: Settings, data: LoginIn) -> TokenOut:
        """Send the token as `Authorization: Bearer …` with `X-Device-Id` set to `device_id`."""
        return await services.login(conn, state.redis, settings, username=data.username,
                                    password=data.password, device_id=data.device_id,
                                    client_ip=request_client(request))

    @post("/renew", status_code=200, summary="A fresh staff token for the same handheld",
          dependencies=STAFF_DEPENDENCIES, security=[{"staffToken": []}])
    async def renew(self, state: State, conn: asyncpg.Connection, settings: Settings,
                    staff: StaffUser) -> Response[TokenOut]:
        """With a valid, unexpired token and its `X-Device-Id`: the same answer as a login, no
        password needed. A deactivated account, or one whose role, site or password changed
        since the token was issued, gets 401: log in again."""
        return Response(await services.renew(conn, settings, staff), headers=NO_STORE)


HANDLERS = [AuthController]
