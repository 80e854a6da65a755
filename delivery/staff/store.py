"""SQL for staff accounts and the sites they belong to."""

from __future__ import annotations

import asyncpg

from delivery.staff.model import StaffMember

_MEMBER = """
SELECT s.id, s.username, s.role, s.site_id, t.code AS site_code, t.kind AS site_kind, s.active,
    s.token_gen, s.governorate
FROM staff s LEFT JOIN sites t ON t.id = s.site_id
"""
SELECT_BY_USERNAME = _MEMBER + " WHERE s.username = $1"
SELECT_BY_ID = _MEMBER + " WHERE s.id = $1"
SELECT_HASH = "SELECT password_hash FROM staff WHERE username = $1 AND active"
INSERT_STAFF = """
INSERT INTO staff (username, password_hash, role, site_id, governorate)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (username) DO NOTHING RETURNING id
"""
SELECT_STAFF = """
SELECT s.username, s.role, t.code AS site_code, s.governorate, s.active
FROM staff s LEFT JOIN sites t ON t.id = s.site_id ORDER BY s.username
"""
# Every change that must end the tokens issued before it moves the generation on (see auth).
DEACTIVATE = "UPDATE staff SET active = false, token_gen = token_gen + 1 WHERE username = $1"
SET_ROLE = """
UPDATE staff SET role = $2, site_id = $3, governorate = $4, token_gen = token_gen + 1
WHERE username = $1
"""
REPLACE_HASH = """
UPDATE staff SET password_hash = $2, token_gen = token_gen + 1 WHERE username = $1
"""
SELECT_SITE = "SELECT id, code, kind FROM sites WHERE code = $1"
GOVERNORATE_EXISTS = "SELECT EXISTS (SELECT 1 FROM governorates WHERE code = $1)"
SELECT_SITES = """
SELECT code, kind, governorate, name_en, name_ar FROM sites ORDER BY kind DESC, governorate, code
"""
UPSERT_DEVICE = """
INSERT INTO devices (device_id, last_staff_id, last_seen_at) VALUES ($1, $2, now())
ON CONFLICT (device_id) DO UPDATE SET last_staff_id = EXCLUDED.last_staff_id,
    last_seen_at = EXCLUDED.last_seen_at
"""


def _member(row: asyncpg.Record | None) -> StaffMember | None:
    return StaffMember(**dict(row)) if row is not None else None


async def get_by_username(conn: asyncpg.Connection, username: str) -> StaffMember | None:
    """The staff member with this username, active or not."""
    return _member(await conn.fetchrow(SELECT_BY_USERNAME, username))


async def get_by_id(conn: asyncpg.Connection, staff_id: int) -> StaffMember | None:
    """The staff member with this id, active or not."""
    return _member(await conn.fetchrow(SELECT_BY_ID, staff_id))


async def password_hash(conn: asyncpg.Connection, username: str) -> str | None:
    """The stored hash of an active account, or None."""
    return await conn.fetchval(SELECT_HASH, username)


async def insert_staff(conn: asyncpg.Connection, *, username: str, password_hash: str, role: str,
                       site_id: int | None, governorate: str | None = None) -> int | None:
    """The new account's id, or None when the username is taken."""
    return await conn.fetchval(INSERT_STAFF, username, password_hash, role, site_id, governorate)


async def get_site(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """A site's id, code and kind."""
    return await conn.fetchrow(SELECT_SITE, code)


async def governorate_exists(conn: asyncpg.Connection, code: str) -> bool:
    return await conn.fetchval(GOVERNORATE_EXISTS, code)


async def list_sites(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every site: sorting centres first, then branches by governorate."""
    return await conn.fetch(SELECT_SITES)


async def note_device(conn: asyncpg.Connection, device_id: str, staff_id: int) -> None:
    """Remember which account last logged in from a handheld."""
    await conn.execute(UPSERT_DEVICE, device_id, staff_id)


async def list_staff(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every account: username, role, site code and whether it is active (nothing else)."""
    return await conn.fetch(SELECT_STAFF)


async def deactivate(conn: asyncpg.Connection, username: str) -> bool:
    """Deactivate an account; False when there is none by that name."""
    return await conn.execute(DEACTIVATE, username) != "UPDATE 0"


async def set_role(conn: asyncpg.Connection, username: str, *, role: str,
                   site_id: int | None, governorate: str | None = None) -> bool:
    """Give an account a role at a site (or a governorate); False when there is none by that
    name."""
    return await conn.execute(SET_ROLE, username, role, site_id, governorate) != "UPDATE 0"


async def set_password(conn: asyncpg.Connection, username: str, password_hash: str) -> bool:
    """Replace an account's password hash; False when there is none by that name."""
    return await conn.execute(REPLACE_HASH, username, password_hash) != "UPDATE 0"
