"""SQL for agencies and their keys."""

from __future__ import annotations

import asyncpg
import msgspec

INSERT_AGENCY = """
INSERT INTO agencies (code, name, language, test_mode) VALUES ($1, $2, $3, $4)
RETURNING id, code, name, language, test_mode
"""
SELECT_AGENCY_BY_CODE = "SELECT id, code, name, language, test_mode FROM agencies WHERE code = $1"
INSERT_KEY = """
INSERT INTO api_keys (agency_id, prefix, key_hash) VALUES ($1, $2, $3) RETURNING id, created_at
"""
SELECT_KEY = """
SELECT k.id AS key_id, k.key_hash, k.revoked_at, a.id, a.code, a.name, a.language, a.test_mode
FROM api_keys k JOIN agencies a ON a.id = k.agency_id
WHERE k.prefix = $1
"""
REVOKE_KEYS = """
UPDATE api_keys SET revoked_at = now()
WHERE agency_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR prefix = $2)
RETURNING prefix
"""
SELECT_KEYS = """
SELECT prefix, created_at, revoked_at, last_used_at FROM api_keys
WHERE agency_id = $1 ORDER BY created_at
"""
# Every agency with its active keys' prefixes, oldest key first (never the keys: only hashes exist).
SELECT_AGENCIES = """
SELECT a.code, a.name, a.language, a.created_at, a.test_mode,
    coalesce(array_agg(k.prefix ORDER BY k.created_at, k.id)
             FILTER (WHERE k.id IS NOT NULL), '{}') AS active_prefixes
FROM agencies a LEFT JOIN api_keys k ON k.agency_id = a.id AND k.revoked_at IS NULL
GROUP BY a.id ORDER BY a.code
"""
TOUCH_KEY = """
UPDATE api_keys SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
"""


class Agency(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name: str
    language: str | None = None
    # A test-mode agency's documents never reach staff or real SMS; it advances them itself.
    test_mode: bool = False


class KeyRecord(msgspec.Struct, frozen=True, kw_only=True):
    key_id: int
    key_hash: bytes
    revoked: bool
    agency: Agency


def _agency(row: asyncpg.Record) -> Agency:
    return Agency(id=row["id"], code=row["code"], name=row["name"], language=row["language"],
                  test_mode=row["test_mode"])

# --- webhooks: the endpoint and its deliveries ---------------------------------------------------

# A new secret: the one it replaces stays valid until $4 (none when $4 is null or no secret was
# set); the webhook's creation time is kept across changes of URL or secret.
SET_WEBHOOK = """
UPDATE agencies SET webhook_url = $2, webhook_secret = $3, webhook_updated_at = now(),
    webhook_created_at = coalesce(webhook_created_at, now()),
    webhook_previous_secret = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE webhook_secret END,
    webhook_previous_until = CASE WHEN $4::timestamptz IS NULL OR webhook_secret IS NULL
                                  THEN NULL ELSE $4 END
WHERE id = $1
"""
REMOVE_WEBHOOK = """
UPDATE agencies SET webhook_url = NULL, webhook_secret = NULL, webhook_previous_secret = NULL,
    webhook_previous_until = NULL, webhook_created_at = NULL, webhook_updated_at = now()
WHERE id = $1 AND webhook_url IS NOT NULL
RETURNING id
"""
SELECT_WEBHOOK = """
SELECT webhook_url, webhook_secret, webhook_created_at, webhook_updated_at,
    CASE WHEN webhook_previous_until > now() THEN webhook_previous_secret END AS previous_secret,
    CASE WHEN webhook_previous_until > now() THEN webhook_previous_until END AS previous_until
FROM agencies WHERE id = $1
"""
# Events of the agency that never reached it, in [$2, $3): sent again as new attempts (the
# event keeps its id). One that succeeded is never among them, so each is delivered once.
REPLAY_MISSED = """
UPDATE outbox SET status = 'pending', available_at = now(), attempts = 0, last_error = NULL,
    held_by = NULL, updated_at = now()
WHERE channel = 'webhook' AND agency_id = $1 AND created_at >= $2 AND created_at < $3
  AND (status IN ('failed', 'dead') OR (status = 'done' AND last_error = $4))
RETURNING id
"""
INSERT_DELIVERY = """
INSERT INTO webhook_deliveries (outbox_id, agency_id, attempt, url, status_code, error,
    duration_ms, succeeded)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
SELECT_DELIVERIES = """
SELECT d.id, d.outbox_id, o.payload->>'tracking_number' AS tracking_number,
    o.payload->>'state' AS state, d.attempt, d.url, d.status_code, d.error, d.duration_ms,
    d.succeeded, d.at, o.status AS outbox_status
FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
WHERE d.agency_id = $1 AND ($2::bigint IS NULL OR d.id < $2)
ORDER BY d.id DESC LIMIT $3
"""


async def insert_agency(conn: asyncpg.Connection, *, code: str, name: str,
                        language: str | None, test_mode: bool = False) -> Agency:
    return _agency(await conn.fetchrow(INSERT_AGENCY, code, name, language, test_mode))


async def get_agency_by_code(conn: asyncpg.Connection, code: str) -> Agency | None:
    row = await conn.fetchrow(SELECT_AGENCY_BY_CODE, code)
    return _agency(row) if row else None


async def insert_key(conn: asyncpg.Connection, agency_id: int, prefix: str,
                     key_hash: bytes) -> None:
    await conn.execute(INSERT_KEY, agency_id, prefix, key_hash)


async def get_key(conn: asyncpg.Connection, prefix: str) -> KeyRecord | None:
    row = await conn.fetchrow(SELECT_KEY, prefix)
    if row is None:
        return None
    return KeyRecord(key_id=row["key_id"], key_hash=row["key_hash"],
                     revoked=row["revoked_at"] is not None, agency=_agency(row))


async def revoke_keys(conn: asyncpg.Connection, agency_id: int,
                      prefix: str | None = None) -> list[str]:
    return [r["prefix"] for r in await conn.fetch(REVOKE_KEYS, agency_id, prefix)]


async def list_keys(conn: asyncpg.Connection, agency_id: int) -> list[dict]:
    return [dict(r) for r in await conn.fetch(SELECT_KEYS, agency_id)]


async def list_agencies(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every agency: code, name, language, created_at and its active keys' prefixes."""
    return await conn.fetch(SELECT_AGENCIES)


async def touch_key(conn: asyncpg.Connection, key_id: int) -> None:
    await conn.execute(TOUCH_KEY, key_id)
