import asyncio
import json
import shutil
from pathlib import Path

import asyncpg
import pytest

from delivery.platform.migrate import MIGRATIONS_DIR, MigrationChanged, discover, migrate
from delivery.sites.services import load_reference_data
from tests.conftest import _with_database
from tests.custody_rows import INSERT_ITEM, _world


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


# Two journeys, as (action, from_state, to_state, event_code, payload): failed twice, then
# turned back when the hold that followed expired; and delivered at the second try.
_JOURNEYS = (
    [("register", None, "registered", "registered", {}),
     ("fail", "out_for_delivery", "at_branch", "failed", {"reason": "absent"}),
     ("fail", "out_for_delivery", "at_branch", "failed", {"reason": "wrong_address"}),
     ("max_attempts", "at_branch", "held_at_branch", "attempts_exhausted", {}),
     ("expire_hold", "held_at_branch", "returning", "hold_expired", {}),
     ("accept", "returning", "returning", "accepted", {})],
    [("register", None, "registered", "registered", {}),
     ("fail", "out_for_delivery", "at_branch", "failed", {"reason": "absent"}),
     ("deliver", "out_for_delivery", "delivered", "delivered", {})],
)
_OUTCOME = ("SELECT handed_over_at IS NOT NULL, attempts, failure_reasons, sent_back_by, "
            "attempts_exhausted FROM item_outcomes WHERE item_id = $1")


async def _item_with_journey(conn, world: dict, number: int, journey: list) -> int:
    item = await conn.fetchval(INSERT_ITEM, f"HY{number:09d}IQ", world["agency"], f"R{number}",
                               world["branch"], number.to_bytes(32, "big"))
    for seq, (action, before, after, code, payload) in enumerate(journey, start=1):
        await conn.execute(
            "INSERT INTO custody_events (item_id, seq, action, from_state, to_state, "
            "event_code, actor_role, payload, prev_hash, hash, hash_version) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'courier', $7::jsonb, '\\x00', '\\x00', 1)",
            item, seq, action, before, after, code, json.dumps(payload))
    return item


async def test_outcomes_read_from_history_equal_those_kept_as_events_are_written(
        empty_database, tmp_path: Path):
    """Reports read each item's outcome from `item_outcomes`: the migration that made it fills it
    from the events already written exactly as its trigger fills it for events written since."""

    folder = tmp_path / "migrations"
    folder.mkdir()
    outcomes = next(m for m in discover() if m.name.endswith("_item_outcomes.sql"))
    for migration in discover():
        if migration.name < outcomes.name:
            shutil.copy(MIGRATIONS_DIR / migration.name, folder)
    conn = await asyncpg.connect(empty_database)
    try:
        await migrate(conn, folder)
        await load_reference_data(conn)
        world = await _world(conn)
        before = [await _item_with_journey(conn, world, n, j) for n, j in enumerate(_JOURNEYS)]
        await migrate(conn)
        after = [await _item_with_journey(conn, world, n + 10, j)
                 for n, j in enumerate(_JOURNEYS)]
        read_back = [tuple(await conn.fetchrow(_OUTCOME, item)) for item in before]
        kept = [tuple(await conn.fetchrow(_OUTCOME, item)) for item in after]
        assert read_back == kept == [
            (False, 2, ["absent", "wrong_address"], "hold_expired", True),
            (True, 2, ["absent"], None, False)]
    finally:
        await conn.close()
