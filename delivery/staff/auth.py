"""Staff tokens: short-lived JWTs bound to one handheld, the request dependency and role guards."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import asyncpg
import jwt
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler

from delivery.platform.errors import NotAllowed, Unauthenticated
from delivery.platform.keys import derive_key
from delivery.platform.settings import Settings
from delivery.staff import store
from delivery.staff.model import StaffAccount, StaffMember

ALGORITHM = "HS256"
ISSUER = "tasheel"
AUDIENCE = "tasheel-staff"
_SCOPE_KEY = "tasheel_staff"


class StaffUser(StaffAccount, frozen=True, kw_only=True):
    """The staff member behind a request, and the handheld they use."""

    device_id: str
    token_gen: int = 0  # the account's generation when the token was issued


def signing_key(settings: Settings) -> bytes:
    """The JWT key, derived from the server secret so it opens nothing else."""
    return _derived_key(settings.secret_key)


@lru_cache(maxsize=4)
def _derived_key(secret: bytes) -> bytes:
    return derive_key(secret, "staff-jwt")


def issue_token(settings: Settings, member: StaffMember | StaffUser, device_id: str,
                now: datetime) -> str:
    """A signed token for `member` on `device_id`, valid `settings.jwt_ttl_s` seconds."""
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": str(member.id), "usr": member.username,
        "role": member.role, "site": member.site_id, "site_code": member.site_code,
        "site_kind": member.site_kind, "gov": member.governorate, "dev": device_id,
        "gen": member.token_gen, "iat": now,
        "exp": now + timedelta(seconds=settings.jwt_ttl_s),
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def read_token(settings: Settings, token: str, device_id: str | None) -> StaffUser:
    """The staff user a token names, if it is genuine, current and used from its own device."""
    try:
        user, expires = _verified(signing_key(settings), token)
    except jwt.PyJWTError:
        raise Unauthenticated("the staff token is invalid or has expired; log in again") from None
    if time.time() >= expires:  # as PyJWT judges `exp`: a remembered token expires all the same
        raise Unauthenticated("the staff token is invalid or has expired; log in again")
    if not device_id or device_id != user.device_id:
        raise Unauthenticated("this token belongs to another device (X-Device-Id)")
    return user


# A handheld sends the same token with every request: its signature is checked once, then
# remembered (by the token's exact text, under the same key); only expiry is checked again.
# A token is only as good as the account's generation it carries: deactivation, a role or site
# change and a password reset move the generation on, and the database check each route makes
# (`current_staff`, or the scan upload's own statements) refuses a token of an earlier one. So
# the role and site a valid token carries are the account's current ones.
@lru_cache(maxsize=4096)
def _verified(key: bytes, token: str) -> tuple[StaffUser, float]:
    claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                        options={"require": ["exp", "sub", "dev"]})
    user = StaffUser(id=int(claims["sub"]), username=claims["usr"], role=claims["role"],
                     site_id=claims["site"], site_code=claims["site_code"],
                     site_kind=claims["site_kind"], governorate=claims.get("gov"),
                     device_id=claims["dev"],
                     token_gen=int(claims.get("gen", 0)))
    return user, float(claims["exp"])


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a staff token is required (Authorization: Bearer …)")
    return token.strip()


def token_user(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffUser:
    """The request's staff user from its token and `X-Device-Id` (cached on the request)."""
    cached = connection.scope.get(_SCOPE_KEY)  # type: ignore[typeddict-item]
    if cached is None:
        settings = connection.app.state.settings
        cached = read_token(settings, _bearer(connection), connection.headers.get("x-device-id"))
        connection.scope[_SCOPE_KEY] = cached  # type: ignore[literal-required]
    return cached


async def current_staff(request: Request[Any, Any, Any], conn: asyncpg.Connection) -> StaffUser:
    """The authenticated staff member as the database has them now (one read, on the request's
    connection): a deactivated account, or a token issued before a role, site or password
    change, is refused at once."""
    user = token_user(request)
    member = await store.get_by_id(conn, user.id)
    refuse_if_stale(user, member.active if member else False,
                    member.token_gen if member else None)
    assert member is not None
    return StaffUser(id=member.id, username=member.username, role=member.role,
                     site_id=member.site_id, site_code=member.site_code,
                     site_kind=member.site_kind, governorate=member.governorate,
                     device_id=user.device_id, token_gen=member.token_gen)


def refuse_if_stale(user: StaffUser, active: bool, token_gen: int | None) -> None:
    """Refuse a token whose account is gone, deactivated, or changed since it was issued."""
    if not active:
        raise Unauthenticated("this staff account is no longer active")
    if token_gen != user.token_gen:
        raise Unauthenticated("this account's role, site or password has changed; log in again")


STAFF_DEPENDENCIES = {"staff": Provide(current_staff)}


def token_staff(request: Request[Any, Any, Any]) -> StaffUser:
    """The token's staff user, unchecked against the database.

    Only for routes that refuse a deactivated or changed account themselves (`refuse_if_stale`),
    inside the transaction that does their work (so it still takes effect at once, without a
    read of its own).
    """
    return token_user(request)


TOKEN_STAFF_DEPENDENCIES = {"staff": Provide(token_staff, sync_to_thread=False)}


def require_roles(*roles: str):
    """A guard refusing (403) every role but `roles`."""
    allowed = frozenset(roles)

    # A coroutine: Litestar would run a plain function in a worker thread, on every request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = token_user(connection)
        if user.role not in allowed:
            raise NotAllowed(f"{user.role.replace('_', ' ')}s may not do this",
                             allowed_roles=sorted(allowed))

    return guard
