"""Staff routes that are not about items: logging in, and administrators managing agency keys."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, post
from litestar.datastructures import State

from delivery.agencies import services as agencies
from delivery.staff import services
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles
from delivery.staff.services import TokenOut


async def start_staff(state: State) -> None:
    """Hash new passwords with the configured argon2 costs."""
    services.configure_hashing(state.settings)


class LoginIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A member of staff on one handheld: the token will work from that `device_id` only."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class NewKeyOut(msgspec.Struct, frozen=True, kw_only=True):
    """A new API key of the agency, shown only now (it is stored as a hash)."""

    agency: str
    api_key: str
    note: str = "shown only now; the old keys keep working until revoked"


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["staff"]

    @post("/login", status_code=200, summary="A staff token for one handheld")
    async def login(self, request: Request[Any, Any, Any], state: State,
                    data: LoginIn) -> TokenOut:
        """Send the token as `Authorization: Bearer …` with `X-Device-Id` set to `device_id`."""
        client_ip = request.client.host if request.client else "unknown"
        async with state.pool.acquire() as conn:
            return await services.login(conn, state.redis, state.settings,
                                        username=data.username, password=data.password,
                                        device_id=data.device_id, client_ip=client_ip)


class AgencyKeysController(Controller):
    path = "/v1/admin/agencies/{code:str}/keys"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("admin")]
    security = [{"staffToken": []}]

    @post("/", status_code=201, summary="Issue a new API key for an agency")
    async def rotate(self, state: State, staff: StaffUser, code: str,
                     revoke_old: bool = False) -> NewKeyOut:
        """The new key is returned once; `?revoke_old=true` stops the old ones at once.
        Administrators only."""
        async with state.pool.acquire() as conn:
            key = await agencies.rotate_key(conn, code, revoke_old=revoke_old)
        return NewKeyOut(agency=code, api_key=key)

    @delete("/{prefix:str}", status_code=204, summary="Revoke one of an agency's API keys")
    async def revoke(self, state: State, staff: StaffUser, code: str, prefix: str) -> None:
        """The key stops working at once. Administrators only."""
        async with state.pool.acquire() as conn:
            await agencies.revoke_key(conn, code, prefix)


HANDLERS = [AuthController, AgencyKeysController]
