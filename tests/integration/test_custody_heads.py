"""Each item records the head of its custody chain (the last event's hash and the number of
events), written with the event on every path that appends one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from delivery.custody import tasks
from delivery.custody.context import custody_context
from tests.api.test_tracking_forms import form
from tests.custody_world import (
    applied,
    build_world,
    last4,
    last_code,
    open_bag,
    scan_body,
    submit,
    upload,
)
from tests.helpers import auth, document
from tests.integration.test_custody_tamper import verify

pytestmark = pytest.mark.usefixtures("demo_sites")

HEADS = """
SELECT i.tracking_number, i.state, i.chain_length, i.chain_head, e.seq, e.hash, e.to_state
FROM items i LEFT JOIN LATERAL (SELECT seq, hash, to_state FROM custody_events
                                WHERE item_id = i.id ORDER BY seq DESC LIMIT 1) AS e ON true
"""


async def _token(conn, tn: str) -> str:
    return await conn.fetchval(
        "SELECT o.payload->'values'->>'token' FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE i.tracking_number = $1 AND o.topic = 'accepted'", tn)


async def _deliver(world, conn, tn: str) -> None:
    await applied(world.client, world.courier, tn, "deliver", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn))


async def _a_day(world, conn, settings) -> None:
    """A day of the service through its front doors: intake, uploads that take each write path,
    bags, couriers, pickups, a citizen's choice, a supervisor, a recall, the scheduler."""
    batch = await world.client.post("/v1/documents/batch", headers=auth(world.key), json={
        "documents": [document(f"DAY-{i}") for i in range(12)]})
    tns = [d["tracking_number"] for d in batch.json()["results"]]
    late, recalled = await submit(world.client, world.key, "LATE"), await submit(
        world.client, world.key, "RECALLED")
    await upload(world.client, world.sorter, [scan_body(tn, "receive") for tn in tns])
    bag = await open_bag(world)
    # One receive judged in memory and written set-based, bag scans one by one: one transaction.
    await upload(world.client, world.sorter, [scan_body(late, "receive"),
                                              *[scan_body(tn, "bag", bag=bag) for tn in tns[:6]]])
    await applied(world.client, world.sorter, bag, "dispatch")
    await applied(world.client, world.clerk, bag, "arrive")
    for tn in tns[:4]:
        await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    await upload(world.client, world.courier, [scan_body(tn, "take") for tn in tns[:4]])
    await _deliver(world, conn, tns[0])
    await applied(world.client, world.courier, tns[1], "fail", reason="absent")
    await _deliver(world, conn, tns[2])
    for tn in tns[4:6]:
        await applied(world.client, world.clerk, tn, "shelve")
    await applied(world.client, world.clerk, tns[4], "collect", otp=await last_code(conn, tns[4]),
                  id_last4=await last4(conn, tns[4]))
    lost = await world.client.post(f"/v1/supervisor/items/{tns[6]}/lost",
                                   json={"reason": "bag torn open"}, headers=world.supervisor)
    assert lost.status_code == 200, lost.text
    cancelled = await world.client.post(f"/v1/documents/{recalled}/cancel", headers=auth(world.key))
    assert cancelled.status_code == 200, cancelled.text
    assert (await form(world.client, await _token(conn, tns[7]), "mode",
                       {"mode": "pickup", "branch": "BG-006"}))[0] == 303
    later = datetime.now(UTC) + timedelta(days=60)
    assert await tasks.expire_holds(conn, custody_context(settings), now=later) == 1


async def test_after_a_day_every_item_records_the_head_of_its_chain(client, conn, settings,
                                                                     monkeypatch):
    world = await build_world(client, conn)
    await _a_day(world, conn, settings)
    rows = await conn.fetch(HEADS)
    assert len(rows) == 15 and max(r["seq"] for r in rows) == 8
    wrong = [r["tracking_number"] for r in rows
             if (r["chain_length"], r["chain_head"], r["state"]) != (r["seq"], r["hash"],
                                                                     r["to_state"])]
    assert wrong == []
    result = await verify(settings, monkeypatch)
    assert result.exit_code == 0 and "intact" in result.output, result.output
