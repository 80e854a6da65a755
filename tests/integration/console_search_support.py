"""Items in Baghdad and in Basra with some history, made through intake and the handhelds."""

from __future__ import annotations

import msgspec

from tests.custody_world import World, applied, build_world, open_bag, submit

BASRA = {"governorate": "IQ-BA", "district": "Ashar", "location": {"lat": 30.51, "lon": 47.78}}


class Items(msgspec.Struct, kw_only=True):
    world: World
    baghdad: str  # received, bagged, dispatched and arrived at its branch, then failed
    basra: str  # only registered
    bag: str


async def two_governorates(client, conn) -> Items:
    """A Baghdad item that went to its branch and out and failed once; a Basra item."""
    world = await build_world(client, conn)
    baghdad = await submit(client, world.key, "MOI-BG-0001", phone="07705552468")
    basra = await submit(client, world.key, "MOI-BA-0001", phone="07809876543", **BASRA)
    await applied(client, world.sorter, baghdad, "receive")
    bag = await open_bag(world)
    await applied(client, world.sorter, baghdad, "bag", bag=bag)
    await applied(client, world.sorter, bag, "dispatch")
    await applied(client, world.clerk, bag, "arrive")
    await applied(client, world.clerk, baghdad, "to_courier", courier="courier")
    await applied(client, world.courier, baghdad, "take")
    await applied(client, world.courier, baghdad, "fail", reason="absent")
    return Items(world=world, baghdad=baghdad, basra=basra, bag=bag)


async def tamper_payload(conn, tn: str, seq: int, payload: dict) -> None:
    """Rewrite one event's payload as a superuser who switched the append-only trigger off:
    the attack the chain exists to reveal."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute("UPDATE custody_events e SET payload = $3 FROM items i "
                           "WHERE i.id = e.item_id AND i.tracking_number = $1 AND e.seq = $2",
                           tn, seq, payload)
