"""A small custody world for tests: one agency, items in Baghdad, staff at their sites, scanning."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import msgspec

from tests.helpers import auth, create_agency, document, staff_token

_SCAN_IDS = itertools.count(1)


class World(msgspec.Struct, kw_only=True):
    client: Any
    conn: Any
    key: str
    branch: str
    other_branch: str
    sorter: dict[str, str]
    clerk: dict[str, str]
    courier: dict[str, str]
    supervisor: dict[str, str]
    other_clerk: dict[str, str]
    other_courier: dict[str, str]


async def build_world(client, conn) -> World:
    """Staff of the sorting centre and of the branch that serves the default address."""
    key = await create_agency(conn, "MOI-PASSPORTS")
    tn = await submit(client, key, "PROBE")
    branch = await branch_of(conn, tn)
    other = "BG-002" if branch != "BG-002" else "BG-003"

    async def login(username, role, site, device):
        return await staff_token(client, conn, username=username, role=role, site_code=site,
                                 device_id=device)

    return World(
        client=client, conn=conn, key=key, branch=branch, other_branch=other,
        sorter=await login("sorter", "sorting_clerk", "SC-BG", "dev-sorter"),
        clerk=await login("clerk", "branch_clerk", branch, "dev-clerk"),
        courier=await login("courier", "courier", branch, "dev-courier"),
        supervisor=await login("super", "supervisor", branch, "dev-super"),
        other_clerk=await login("clerk2", "branch_clerk", other, "dev-clerk2"),
        other_courier=await login("courier2", "courier", branch, "dev-courier2"),
    )


async def submit(client, key: str, ref: str, **changes: Any) -> str:
    response = await client.post("/v1/documents", json=document(ref, **changes), headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()["tracking_number"]


async def branch_of(conn, tn: str) -> str:
    return await conn.fetchval("SELECT s.code FROM items i JOIN sites s ON s.id = i.branch_id "
                               "WHERE i.tracking_number = $1", tn)


async def state_of(conn, tn: str) -> str:
    return await conn.fetchval("SELECT state FROM items WHERE tracking_number = $1", tn)


# Who at the agency signs for a returned item (`returned` needs it).
SIGNED_BY = {"name": "Zainab Kareem", "id_last4": "4321"}


def scan_body(code: str, action: str, *, scan_id: str | None = None,
              at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {"scan_id": scan_id or f"s-{next(_SCAN_IDS)}", "code": code, "action": action,
            "at": (at or datetime.now(UTC)).isoformat(), **extra}


async def upload(client, headers, scans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await client.post("/v1/scans", json={"scans": scans}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def scan(client, headers, code: str, action: str, **extra: Any) -> dict[str, Any]:
    """One scan; its result."""
    return (await upload(client, headers, [scan_body(code, action, **extra)]))[0]


async def applied(client, headers, code: str, action: str, **extra: Any) -> dict[str, Any]:
    result = await scan(client, headers, code, action, **extra)
    assert result["status"] == "applied", result
    return result


async def last_code(conn, tn: str) -> str:
    """The one-time code in the newest SMS about the item."""
    return await conn.fetchval(
        "SELECT o.payload->'values'->>'code' FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE i.tracking_number = $1 AND o.channel = 'sms' AND o.payload->'values' ? 'code' "
        "ORDER BY o.id DESC LIMIT 1", tn)


async def last4(conn, tn: str) -> str:
    return await conn.fetchval("SELECT national_id_last4 FROM items WHERE tracking_number = $1",
                               tn)


async def open_bag(world: World, destination: str | None = None) -> str:
    response = await world.client.post("/v1/bags", json={"destination": destination or
                                                         world.branch}, headers=world.sorter)
    assert response.status_code == 201, response.text
    return response.json()["bag_id"]


async def to_branch(world: World, tns: list[str]) -> str:
    """Receive, bag, dispatch and arrive the items at their branch; returns the bag id."""
    for tn in tns:
        await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    for tn in tns:
        await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await applied(world.client, world.sorter, bag, "dispatch")
    await applied(world.client, world.clerk, bag, "arrive")
    return bag


async def out_for_delivery(world: World, tn: str) -> None:
    """From registered to taken by the courier."""
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    await applied(world.client, world.courier, tn, "take")
