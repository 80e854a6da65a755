"""Real PostgreSQL and Redis for every test that needs them.

With DATABASE_URL / REDIS_URL set, tests use those servers: a database named `tasheel_test_<n>`
is created fresh on that PostgreSQL, and Redis database 15 is flushed between tests. Without
them, embedded servers are started in a temporary folder for the session.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec
import pytest
import redis.asyncio as aioredis

from delivery.platform import db
from delivery.platform.migrate import migrate
from delivery.platform.settings import Settings
from tests.own_servers import OwnRedis

TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "15"))
KEEP_TABLES = {"schema_migrations", "governorates", "districts", "service_area_version"}


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _redis_db(url: str, index: int) -> str:
    if url.startswith("unix://"):
        return f"{url.split('?')[0]}?db={index}"
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{index}"))


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """Base URLs of a PostgreSQL server and a Redis server."""
    pg, rd = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if pg and rd:
        yield pg, rd
        return
    from delivery.platform.embedded import EmbeddedServers

    with tempfile.TemporaryDirectory(prefix="tasheel-test-") as tmp:
        embedded = EmbeddedServers(Path(tmp), postgres=not pg, redis=not rd)
        pg_url, rd_url = embedded.start()
        try:
            yield pg or pg_url or "", rd or rd_url or ""
        finally:
            embedded.stop()


@pytest.fixture(scope="session")
async def database_url(servers: tuple[str, str]) -> AsyncIterator[str]:
    """A freshly created, migrated database for this test session."""
    name = f"tasheel_test_{os.getpid()}"
    admin = await asyncpg.connect(_with_database(servers[0], "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(servers[0], name)
    conn = await db.connect(url)
    await migrate(conn)
    from delivery.sites.services import load_reference_data

    await load_reference_data(conn)
    await conn.close()
    yield url
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def redis_url(servers: tuple[str, str]) -> str:
    return _redis_db(servers[1], TEST_REDIS_DB)


@pytest.fixture(scope="session")
def base_settings(database_url: str, redis_url: str, tmp_path_factory) -> Settings:
    data = tmp_path_factory.mktemp("data")
    return msgspec.structs.replace(
        Settings.from_env({"TASHEEL_SECRET_KEY": "test-secret", "TASHEEL_DATA_DIR": str(data),
                           # cheap staff password hashing; test_passwords keeps the real costs
                           "ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1"}),
        database_url=database_url, redis_url=redis_url, data_dir=data,
        webhook_allow_hosts=("127.0.0.1",), sms_quiet_hours="",
    )


async def _wipe(conn: asyncpg.Connection) -> None:
    """Empty every table a test may have written, and start their identities at 1 again.

    Only tables holding rows are truncated (a TRUNCATE makes new files for a table and its
    indexes, which costs more than the test it follows); the identities of the others are
    reset, since a test may have inserted rows and deleted them.
    """
    tables = [r["tablename"] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    tables = [t for t in tables if t not in KEEP_TABLES]
    if not tables:
        return
    holding = await conn.fetchval("SELECT array_remove(ARRAY[" + ", ".join(
        f"CASE WHEN EXISTS (SELECT 1 FROM \"{t}\") THEN '{t}' END" for t in tables)
        + "]::text[], NULL)")
    if holding:
        # The custody log refuses TRUNCATE (migration 0010); the tests connect as a superuser,
        # who may switch triggers off for the transaction.
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            quoted = ", ".join('"' + t + '"' for t in holding)
            await conn.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    sequences = [seq for t in tables if t not in (holding or [])
                 for seq in (await _sequences(conn)).get(t, [])]
    if sequences:
        await conn.execute("SELECT setval(s, 1, false) FROM unnest($1::text[]) s", sequences)


_SEQUENCES: dict[str, dict[str, list[str]]] = {}


async def _sequences(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Each table's own sequences (identity columns), read once per database."""
    name = await conn.fetchval("SELECT current_database()")
    if name not in _SEQUENCES:
        rows = await conn.fetch("""
            SELECT d.refobjid::regclass::text AS tab, s.oid::regclass::text AS seq
            FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
            WHERE s.relkind = 'S' AND d.classid = 'pg_class'::regclass""")
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["tab"].strip('"'), []).append(row["seq"])
        _SEQUENCES[name] = found
    return _SEQUENCES[name]


@pytest.fixture
async def settings(base_settings: Settings) -> Settings:
    """Settings of a clean world: empty tables (reference data kept) and an empty Redis."""
    conn = await asyncpg.connect(base_settings.database_url)
    await _wipe(conn)
    await conn.close()
    client = aioredis.from_url(base_settings.redis_url or "")
    await client.flushdb()
    await client.aclose()
    return base_settings


@pytest.fixture
async def conn(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the clean test database."""
    connection = await db.connect(settings.database_url or "")
    yield connection
    await connection.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator:
    """An HTTP client talking to the whole app, lifespan included."""
    from litestar.testing import AsyncTestClient

    from delivery.web.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
async def demo_sites(conn: asyncpg.Connection) -> None:
    """The demo branches, their service areas and the Baghdad sorting centre."""
    from delivery.demo.seed import seed_demo_sites

    await seed_demo_sites(conn)


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """The environment of a `tasheel` command run against the test's servers."""
    return {"DATABASE_URL": settings.database_url or "", "REDIS_URL": settings.redis_url or "",
            "TASHEEL_DATA_DIR": str(settings.data_dir), "TASHEEL_SECRET_KEY": "test-secret",
            "ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1"}


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A Redis of the test's own, to stop and start at will."""
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()
