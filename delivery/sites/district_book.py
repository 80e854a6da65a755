"""The stored districts: read, edited (one transaction, the area version moved so every process
reloads), and kept in memory per process beside the area index."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from delivery.sites import store
from delivery.sites.districts import District, Gazetteer, seed_districts


def _args(d: District) -> tuple:
    return (d.governorate, d.key, d.name_ar, d.name_en, d.name_ckb, d.lat, d.lon, d.parent,
            list(d.aliases), d.branch_code)


def _district(row: asyncpg.Record) -> District:
    return District(**{**dict(row), "aliases": tuple(row["aliases"])})


async def seed(conn: asyncpg.Connection) -> None:
    """The seed file's districts, leaving edited ones as they are (idempotent)."""
    await conn.executemany(store.INSERT_DISTRICT_IF_NEW, [_args(d) for d in seed_districts()])


async def list_districts(conn: asyncpg.Connection, governorate: str | None = None) -> list[District]:
    """Stored districts, of one governorate or all, parents before their mahallas."""
    return [_district(r) for r in await conn.fetch(store.SELECT_DISTRICTS, governorate)]


async def get_district(conn: asyncpg.Connection, governorate: str, key: str) -> District | None:
    row = await conn.fetchrow(store.SELECT_DISTRICT, governorate, key)
    return _district(row) if row else None


async def save(conn: asyncpg.Connection, districts: Sequence[District]) -> None:
    """Write districts (new or edited) and move the area version; one transaction."""
    async with conn.transaction():
        await conn.executemany(store.UPSERT_DISTRICT, [_args(d) for d in districts])
        await conn.execute(store.BUMP_AREA_VERSION)


class GazetteerCache:
    """The stored districts of one process, reloaded when the area version it is given moved
    (the version the area index has just read: no query of its own on intake's path)."""

    def __init__(self) -> None:
        self._gazetteer: Gazetteer | None = None
        self._version = -1

    async def current(self, conn: asyncpg.Connection, version: int) -> Gazetteer:
        if self._gazetteer is None or version != self._version:
            self._gazetteer = Gazetteer(await list_districts(conn))
            self._version = version
        return self._gazetteer
