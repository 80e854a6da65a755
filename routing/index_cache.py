"""The in-memory area index of one process, rebuilt whenever the stored areas change."""

from __future__ import annotations

import asyncio

import asyncpg

from routing import store
from routing.areas import geometry_from_wkb
from routing.assign import AreaIndex, BranchPoint


class AreaIndexCache:
    """Checks the stored area version (one cheap query) and rebuilds the index when it moved.

    Every process that imports areas bumps the version in the same transaction, so every other
    process notices on its next assignment, without restarts or messages that could be missed.
    """

    def __init__(self) -> None:
        self._index: AreaIndex | None = None
        self._version = -1
        self._lock = asyncio.Lock()

    async def current(self, conn: asyncpg.Connection) -> AreaIndex:
        version = await store.area_version(conn)
        if version != self._version or self._index is None:
            async with self._lock:
                if version != self._version or self._index is None:
                    await self._rebuild(conn)
        assert self._index is not None
        return self._index

    @property
    def version(self) -> int:
        """The area version the index in hand was built from."""
        return self._version

    async def _rebuild(self, conn: asyncpg.Connection) -> None:
        version, areas = await store.load_areas(conn)
        sites = [s for s in await store.list_sites(conn) if s.kind == "branch"]
        self._index = AreaIndex(
            [(code, geometry_from_wkb(wkb)) for code, wkb in areas],
            [BranchPoint(code=s.code, governorate=s.governorate, lat=s.lat, lon=s.lon,
                         is_main=s.is_main) for s in sites],
        )
        self._version = version
