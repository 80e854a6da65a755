"""Tampering with the custody log, as someone with full database access would, is caught by
`tasheel verify-custody`, which names each broken item by its tracking number and exits 1."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from click.testing import CliRunner

from delivery.cli import main
from delivery.custody import chain, log
from tests.custody_world import applied, build_world, last4, last_code, out_for_delivery, submit

pytestmark = pytest.mark.usefixtures("demo_sites")


def command_line_on(settings, monkeypatch) -> None:
    """Point `tasheel` at the test database and data folder (its keys)."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("TASHEEL_SECRET_KEY", "test-secret")
    monkeypatch.setenv("TASHEEL_DATA_DIR", str(settings.data_dir))


async def verify(settings, monkeypatch, *args: str):
    """`tasheel verify-custody` against the test database."""
    command_line_on(settings, monkeypatch)
    return await asyncio.to_thread(CliRunner().invoke, main, ["verify-custody", *args])


async def as_attacker(conn, *statements: tuple) -> None:
    """Run statements as a superuser who switched every trigger off for the session."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for sql, *args in statements:
            await conn.execute(sql, *args)


async def delivered(world, conn, ref: str) -> str:
    tn = await submit(world.client, world.key, ref)
    await out_for_delivery(world, tn)
    await applied(world.client, world.courier, tn, "deliver", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn))
    return tn


async def item_id(conn, tn: str) -> int:
    return await conn.fetchval("SELECT id FROM items WHERE tracking_number = $1", tn)


async def event_count(conn, tn: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM custody_events e JOIN items i ON "
                               "i.id = e.item_id WHERE i.tracking_number = $1", tn)


_BY_SEQ = "FROM items i WHERE i.id = e.item_id AND i.tracking_number = $1 AND e.seq = $2"


async def forge_after(conn, tn: str, seq: int, **changes) -> None:
    """Insert an event right after `seq`, correctly hashed onto it, renumbering the ones after
    (the hash algorithm is public, so an attacker computes it as Tasheel does)."""
    events = await log.load_chain(conn, await item_id(conn, tn))
    base = events[seq - 1]
    forged = {**base, **changes, "seq": seq + 1, "prev_hash": base["hash"]}
    forged["hash"] = chain.event_hash(base["hash"], forged)
    row = {k: v for k, v in forged.items() if k not in ("role", "site")}
    row.update(actor_role=forged["role"], site_id=forged["site"])
    columns = ", ".join(row)
    values = ", ".join(f"${n}" for n in range(1, len(row) + 1))
    mine = "FROM items i WHERE i.id = e.item_id AND i.tracking_number = $1"
    await as_attacker(
        conn, (f"UPDATE custody_events e SET seq = -(e.seq + 1) {mine} AND e.seq > $2", tn, seq),
        (f"UPDATE custody_events e SET seq = -e.seq {mine} AND e.seq < 0", tn),
        (f"INSERT INTO custody_events ({columns}) VALUES ({values})", *row.values()))


async def delete_seq(conn, tn: str, seq: int) -> None:
    await as_attacker(conn, ("DELETE FROM custody_events e USING items i WHERE i.id = e.item_id "
                             "AND i.tracking_number = $1 AND e.seq = $2", tn, seq))


async def edit(conn, tn: str, seq: int, assignment: str) -> None:
    await as_attacker(conn, (f"UPDATE custody_events e SET {assignment} {_BY_SEQ}", tn, seq))


async def delete_last(conn, tn):
    await delete_seq(conn, tn, await event_count(conn, tn))
    return "head_mismatch"


async def delete_all(conn, tn):
    await as_attacker(conn, ("DELETE FROM custody_events e USING items i WHERE i.id = e.item_id "
                             "AND i.tracking_number = $1", tn))
    return "head_mismatch"


async def delete_first(conn, tn):
    await delete_seq(conn, tn, 1)
    return "sequence_gap"


async def delete_middle(conn, tn):
    await delete_seq(conn, tn, 4)
    return "sequence_gap"


async def edit_event_code(conn, tn):
    await edit(conn, tn, 3, "event_code = 'delivered'")
    return "hash_mismatch"


async def edit_emsevt(conn, tn):
    await edit(conn, tn, await event_count(conn, tn), "emsevt = 'EMH'")
    return "hash_mismatch"


async def edit_payload(conn, tn):
    await edit(conn, tn, await event_count(conn, tn), "payload = '{}'")
    return "hash_mismatch"


async def forge_last(conn, tn):
    """A further hand-over appended to the end, chained correctly onto the real last event."""
    last = await event_count(conn, tn)
    await forge_after(conn, tn, last, action="collect", payload={"note": "forged"})
    return "head_mismatch"


async def forge_middle(conn, tn):
    await forge_after(conn, tn, 3, payload={"note": "forged"})
    return "prev_hash_mismatch"


async def reorder(conn, tn):
    await as_attacker(conn, *[(f"UPDATE custody_events e SET seq = {new} {_BY_SEQ}", tn, old)
                              for old, new in ((2, -1), (3, 2), (-1, 3))])
    return "prev_hash_mismatch"


async def state_disagrees(conn, tn):
    await conn.execute("UPDATE items SET state = 'out_for_delivery' WHERE tracking_number = $1",
                       tn)
    return "state_mismatch"


TAMPERING = [delete_last, delete_all, delete_first, delete_middle, edit_event_code, edit_emsevt,
             edit_payload, forge_last, forge_middle, reorder, state_disagrees]


@pytest.mark.parametrize("tamper", TAMPERING, ids=[t.__name__ for t in TAMPERING])
async def test_tampering_is_reported_by_tracking_number(client, conn, settings, monkeypatch,
                                                        tamper):
    world = await build_world(client, conn)
    tn, untouched = await delivered(world, conn, "PP-1"), await delivered(world, conn, "PP-2")
    clean = await verify(settings, monkeypatch)
    assert clean.exit_code == 0, clean.output
    kind = await tamper(conn, tn)
    result = await verify(settings, monkeypatch)
    assert result.exit_code == 1, result.output
    broken = [line for line in result.output.splitlines() if line.startswith("BROKEN")]
    assert broken and all(line.startswith(f"BROKEN {tn} ") for line in broken), result.output
    assert kind in broken[0], result.output
    assert untouched not in result.output
    alone = await verify(settings, monkeypatch, "--item", untouched)
    assert alone.exit_code == 0, alone.output


async def test_a_delivered_item_whose_deliver_event_is_gone_is_named_with_both_faults(
        client, conn, settings, monkeypatch):
    world = await build_world(client, conn)
    tn = await delivered(world, conn, "PP-1")
    await delete_last(conn, tn)
    result = await verify(settings, monkeypatch, "--item", tn)
    assert result.exit_code == 1
    assert "head_mismatch" in result.output and "state_mismatch" in result.output, result.output


async def test_events_whose_item_was_deleted_are_reported_by_the_item_id(client, conn, settings,
                                                                       monkeypatch):
    world = await build_world(client, conn)
    tn = await submit(world.client, world.key, "PP-1")
    gone = await item_id(conn, tn)
    await as_attacker(conn, ("DELETE FROM items WHERE id = $1", gone))
    result = await verify(settings, monkeypatch)
    assert result.exit_code == 1
    assert f"BROKEN item #{gone} at event 0: item_missing" in result.output, result.output


async def test_the_application_can_neither_change_nor_remove_custody_events(client, conn):
    world = await build_world(client, conn)
    tn = await submit(world.client, world.key, "PP-1")
    before = await conn.fetch("SELECT * FROM custody_events ORDER BY id")
    for sql in ("UPDATE custody_events SET payload = '{}'",
                "DELETE FROM custody_events WHERE item_id = (SELECT id FROM items WHERE "
                f"tracking_number = '{tn}')",
                "TRUNCATE custody_events"):
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute(sql)
    assert await conn.fetch("SELECT * FROM custody_events ORDER BY id") == before


async def test_each_column_of_an_event_is_covered_by_its_hash(conn):
    columns = {r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = 'custody_events'")}
    outside = {"id", "hash"}  # the row's storage key, and the hash itself
    assert set(log.chain_fields({c: None for c in columns - outside})) == set(
        chain.CHAINED_FIELDS)
