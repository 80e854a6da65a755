"""`tasheel verify-custody` recomputes the hash chains and reports an edited event."""

import asyncio

import pytest
from click.testing import CliRunner

from delivery.cli import main
from delivery.custody.cli import find_breaks
from tests.custody_world import applied, build_world, submit
from tests.integration.test_custody_tamper import as_attacker

pytestmark = pytest.mark.usefixtures("demo_sites")


async def test_untouched_chains_verify_and_an_edited_event_is_reported(client, conn, settings,
                                                                      monkeypatch):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "PP-1")
    other = await submit(client, world.key, "PP-2")
    for code in (tn, other):
        await applied(client, world.sorter, code, "receive")
    assert await find_breaks(conn, None) == []
    await as_attacker(conn, ("UPDATE custody_events SET to_state = 'delivered' FROM items i "
                             "WHERE i.id = custody_events.item_id AND i.tracking_number = $1 "
                             "AND seq = 2", tn))
    breaks = await find_breaks(conn, None)
    # The last event now says `delivered` as well: the item's state disagrees with it.
    assert [(b.item_id, b.seq, str(b.kind)) for b in breaks] == [(tn, 2, "hash_mismatch"),
                                                                 (tn, 2, "state_mismatch")]
    assert await find_breaks(conn, other) == []

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("TASHEEL_SECRET_KEY", "test-secret")
    result = await asyncio.to_thread(CliRunner().invoke, main, ["verify-custody"])
    assert result.exit_code == 1 and f"BROKEN {tn} at event 2" in result.output
    clean = await asyncio.to_thread(CliRunner().invoke, main, ["verify-custody", "--item", other])
    assert clean.exit_code == 0, clean.output


async def test_a_deleted_event_is_a_sequence_gap(client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "PP-1")
    await applied(client, world.sorter, tn, "receive")
    await applied(client, world.sorter, tn, "bag", bag=(await client.post(
        "/v1/bags", json={"destination": world.branch}, headers=world.sorter)).json()["bag_id"])
    await as_attacker(conn, ("DELETE FROM custody_events e USING items i WHERE i.id = "
                             "e.item_id AND i.tracking_number = $1 AND e.seq = 2", tn))
    assert [str(b.kind) for b in await find_breaks(conn, tn)] == ["sequence_gap"]
