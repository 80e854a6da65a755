"""Creating agencies, issuing, rotating and revoking their keys, and recognising a key."""

from __future__ import annotations

import asyncpg

from delivery.agencies import model, store
from delivery.agencies.store import Agency
from delivery.platform.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated


async def create_agency(conn: asyncpg.Connection, *, code: str, name: str,
                        language: str | None = None,
                        test_mode: bool = False) -> tuple[Agency, str]:
    """A new agency and its first key (returned in full this once); in test mode its documents
    never reach staff or real SMS, and it advances them itself (`/simulate`)."""
    if not model.AGENCY_CODE.match(code):
        raise InvalidInput("agency code must be 2-32 capital letters, digits or dashes",
                           errors=[FieldError(field="/code", message="e.g. MOI-PASSPORTS")])
    async with conn.transaction():
        if await store.get_agency_by_code(conn, code) is not None:
            raise Conflict(f"agency {code} already exists")
        agency = await store.insert_agency(conn, code=code, name=name.strip(), language=language,
                                           test_mode=test_mode)
        key = await _issue(conn, agency.id)
    return agency, key


async def rotate_key(conn: asyncpg.Connection, agency_code: str, *,
                     revoke_old: bool = False) -> str:
    """A new key for the agency; the old ones keep working unless `revoke_old`."""
    async with conn.transaction():
        agency = await _agency(conn, agency_code)
        if revoke_old:
            await store.revoke_keys(conn, agency.id)
        return await _issue(conn, agency.id)


async def revoke_key(conn: asyncpg.Connection, agency_code: str, prefix: str) -> None:
    """Stop accepting one key, named by its prefix."""
    agency = await _agency(conn, agency_code)
    if not await store.revoke_keys(conn, agency.id, prefix):
        raise NotFound(f"no active key {prefix} for agency {agency_code}")


async def authenticate(conn: asyncpg.Connection, key: str | None) -> Agency:
    """The agency a presented key belongs to; any doubt is the same 401."""
    prefix = model.key_prefix(key or "")
    record = await store.get_key(conn, prefix) if prefix else None
    if record is None or record.revoked or not model.key_matches(key or "", record.key_hash):
        raise Unauthenticated("a valid agency API key is required (Authorization: Bearer …)")
    await store.touch_key(conn, record.key_id)
    return record.agency


async def _agency(conn: asyncpg.Connection, code: str) -> Agency:
    agency = await store.get_agency_by_code(conn, code)
    if agency is None:
        raise NotFound(f"no agency {code}")
    return agency


async def _issue(conn: asyncpg.Connection, agency_id: int) -> str:
    new = model.new_api_key()
    await store.insert_key(conn, agency_id, new.prefix, new.key_hash)
    return new.key
