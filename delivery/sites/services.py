"""Sites and their service areas, as the command line and supervisors manage them, and the
governorates every database holds."""

from __future__ import annotations

import asyncpg

from delivery.sites import district_book, store
from delivery.sites.geo import load_governorates
from routing import store as sites
from routing.areas import AreaImport, area_km2, geometry_to_wkb, parse_geojson_areas


async def import_areas(conn: asyncpg.Connection, text: str) -> AreaImport:
    """Validate a GeoJSON file of areas and store the acceptable ones (all in one transaction)."""
    branches = {s.code: s.id for s in await sites.list_sites(conn) if s.kind == "branch"}
    result = parse_geojson_areas(text, known_branch_codes=branches.keys())
    if result.accepted:
        await sites.save_areas(conn, [
            (branches[a.branch_code], geometry_to_wkb(a.polygon), area_km2(a.polygon))
            for a in result.accepted])
    return result


async def load_reference_data(conn: asyncpg.Connection) -> None:
    """Iraq's governorates and their districts (idempotent; edited districts are kept)."""
    await conn.executemany(store.UPSERT_GOVERNORATE, [
        (g.code, g.iso, g.name_en, g.name_ar, g.name_ku, g.capital, g.lat, g.lon)
        for g in load_governorates()
    ])
    await district_book.seed(conn)
