"""SQL for sites (branches, sorting centres) and their service areas."""

from __future__ import annotations

import asyncpg
import msgspec

SITE_COLUMNS = """id, code, kind, governorate, name_ar, name_en, name_ckb, lat, lon,
    opening_hours, is_main, sorting_centre"""
INSERT_SITE = f"""
INSERT INTO sites (code, kind, governorate, name_ar, name_en, name_ckb, lat, lon,
                   opening_hours, is_main, sorting_centre)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING {SITE_COLUMNS}
"""
SELECT_SITES = f"SELECT {SITE_COLUMNS} FROM sites ORDER BY kind DESC, code"
SELECT_SITE_BY_CODE = f"SELECT {SITE_COLUMNS} FROM sites WHERE code = $1"
SELECT_SITE_BY_ID = f"SELECT {SITE_COLUMNS} FROM sites WHERE id = $1"
UPSERT_AREA = """
INSERT INTO service_areas (site_id, geometry, area_km2) VALUES ($1, $2, $3)
ON CONFLICT (site_id) DO UPDATE SET geometry = EXCLUDED.geometry,
    area_km2 = EXCLUDED.area_km2, updated_at = now()
"""
SELECT_AREAS = """
SELECT s.code, a.geometry FROM service_areas a JOIN sites s ON s.id = a.site_id
WHERE s.kind = 'branch' ORDER BY s.code
"""
SELECT_AREA_OF = """
SELECT a.geometry FROM service_areas a JOIN sites s ON s.id = a.site_id WHERE s.code = $1
"""
SELECT_AREA_VERSION = "SELECT version FROM service_area_version"
BUMP_AREA_VERSION = "UPDATE service_area_version SET version = version + 1 RETURNING version"
AREAS_CHANGED_CHANNEL = "service_areas"


class Site(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    kind: str
    governorate: str
    name_ar: str
    name_en: str
    name_ckb: str
    lat: float
    lon: float
    opening_hours: list
    is_main: bool
    sorting_centre: int | None


def _site(row: asyncpg.Record) -> Site:
    return Site(**dict(row))


async def insert_site(conn: asyncpg.Connection, *, code: str, kind: str, governorate: str,
                      name_ar: str, name_en: str, name_ckb: str, lat: float, lon: float,
                      opening_hours: list, is_main: bool = False,
                      sorting_centre: int | None = None) -> Site:
    row = await conn.fetchrow(INSERT_SITE, code, kind, governorate, name_ar, name_en, name_ckb,
                              lat, lon, opening_hours, is_main, sorting_centre)
    return _site(row)


async def list_sites(conn: asyncpg.Connection) -> list[Site]:
    return [_site(r) for r in await conn.fetch(SELECT_SITES)]


async def get_site(conn: asyncpg.Connection, code: str) -> Site | None:
    row = await conn.fetchrow(SELECT_SITE_BY_CODE, code)
    return _site(row) if row else None


async def get_site_by_id(conn: asyncpg.Connection, site_id: int) -> Site | None:
    row = await conn.fetchrow(SELECT_SITE_BY_ID, site_id)
    return _site(row) if row else None


async def save_areas(conn: asyncpg.Connection, areas: list[tuple[int, bytes, float]]) -> int:
    """Write (site id, WKB, km²) rows, bump the version and tell every process; one transaction."""
    async with conn.transaction():
        await conn.executemany(UPSERT_AREA, areas)
        version = await conn.fetchval(BUMP_AREA_VERSION)
        await conn.execute("SELECT pg_notify($1, $2)", AREAS_CHANGED_CHANNEL, str(version))
    return version


async def load_areas(conn: asyncpg.Connection) -> tuple[int, list[tuple[str, bytes]]]:
    """The area version and every branch's (code, WKB).

    The version is read first: if areas change in between, the areas read are newer than the
    version, and the next version check simply rebuilds once more.
    """
    version = await conn.fetchval(SELECT_AREA_VERSION)
    rows = await conn.fetch(SELECT_AREAS)
    return version, [(r["code"], r["geometry"]) for r in rows]


async def area_version(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(SELECT_AREA_VERSION)


async def get_area_wkb(conn: asyncpg.Connection, code: str) -> bytes | None:
    return await conn.fetchval(SELECT_AREA_OF, code)
