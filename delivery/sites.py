"""Sites and their service areas, as the command line and supervisors manage them."""

from __future__ import annotations

import asyncpg

from routing import store
from routing.areas import AreaImport, area_km2, geometry_to_wkb, parse_geojson_areas


async def import_areas(conn: asyncpg.Connection, text: str) -> AreaImport:
    """Validate a GeoJSON file of areas and store the acceptable ones (all in one transaction)."""
    branches = {s.code: s.id for s in await store.list_sites(conn) if s.kind == "branch"}
    result = parse_geojson_areas(text, known_branch_codes=branches.keys())
    if result.accepted:
        await store.save_areas(conn, [
            (branches[a.branch_code], geometry_to_wkb(a.polygon), area_km2(a.polygon))
            for a in result.accepted])
    return result
