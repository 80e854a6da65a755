import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from delivery.platform.migrate import MIGRATIONS_DIR, MigrationChanged, discover, migrate
from tests.conftest import _with_database


@pytest.fixture
async def empty_database(servers):
    name = "tasheel_migrations_test"
    admin = await asyncpg.connect(_with_database(servers[0], "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(servers[0], name)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def test_fresh_database_gets_every_migration_then_rerun_is_a_no_op(empty_database):
    conn = await asyncpg.connect(empty_database)
    try:
        applied = await migrate(conn)
        assert applied == [m.name for m in discover()]
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(applied)
        assert await conn.fetchval("SELECT to_regclass('public.items') IS NOT NULL")
        assert await migrate(conn) == []
    finally:
        await conn.close()


async def test_two_processes_migrating_at_once_apply_each_file_once(empty_database):
    conns = [await asyncpg.connect(empty_database) for _ in range(2)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, len(discover())]
        assert await conns[0].fetchval("SELECT count(*) FROM schema_migrations") == len(discover())
    finally:
        for c in conns:
            await c.close()


async def test_changed_applied_migration_is_refused_with_its_name(empty_database, tmp_path: Path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    conn = await asyncpg.connect(empty_database)
    try:
        await migrate(conn, folder)
        first = sorted(folder.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- edited after the fact\n")
        with pytest.raises(MigrationChanged, match=first.name):
            await migrate(conn, folder)
    finally:
        await conn.close()


async def test_failing_migration_leaves_nothing_half_applied(empty_database, tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (folder / "0002_broken.sql").write_text("CREATE TABLE b (x int); SELECT no_such_function();")
    conn = await asyncpg.connect(empty_database)
    try:
        with pytest.raises(asyncpg.PostgresError):
            await migrate(conn, folder)
        assert await conn.fetchval("SELECT to_regclass('public.b')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 1
    finally:
        await conn.close()
