"""Bags as the handhelds list them and their manifests, seen only from either end of the bag:
bags opened, filled, dispatched and arrived by real scans."""

from __future__ import annotations

import pytest

from tests.custody_world import applied, build_world, open_bag, submit
from tests.helpers import problem, problem_fields, staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def _bags(world, headers, **params):
    response = await world.client.get("/v1/bags", headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    return response.json()


async def _manifest(world, headers, bag_id):
    return await world.client.get(f"/v1/bags/{bag_id}", headers=headers)


async def _filled(world, count: int) -> tuple[str, list[str]]:
    """An open bag for the world's branch with `count` received items in it."""
    tns = [await submit(world.client, world.key, f"PP-{n}") for n in range(count)]
    bag = await open_bag(world)
    for tn in tns:
        await applied(world.client, world.sorter, tn, "receive")
        await applied(world.client, world.sorter, tn, "bag", bag=bag)
    return bag, tns


async def test_the_sorting_centre_sees_its_open_bags_and_the_branch_those_on_the_way(world):
    bag, _ = await _filled(world, 2)
    empty = await open_bag(world)
    [newest, older] = await _bags(world, world.sorter)
    assert (newest["bag_id"], older["bag_id"]) == (empty, bag)
    assert older == {"bag_id": bag, "origin": "SC-BG", "destination": world.branch,
                     "status": "open", "count": 2, "opened_at": older["opened_at"],
                     "dispatched_at": None, "arrived_at": None}
    assert await _bags(world, world.clerk) == []  # nothing on the way yet
    await applied(world.client, world.sorter, bag, "dispatch")
    [coming] = await _bags(world, world.clerk)
    assert coming["bag_id"] == bag and coming["status"] == "dispatched"
    assert coming["dispatched_at"] is not None
    assert [b["bag_id"] for b in await _bags(world, world.supervisor)] == [bag]
    assert await _bags(world, world.other_clerk) == []
    assert [b["bag_id"] for b in await _bags(world, world.sorter, status="dispatched")] == [bag]
    await applied(world.client, world.clerk, bag, "arrive")
    assert await _bags(world, world.clerk) == []
    [arrived] = await _bags(world, world.clerk, status="arrived")
    assert arrived["arrived_at"] is not None


async def test_an_administrator_sees_every_bag_and_a_courier_none(world, conn):
    bag, _ = await _filled(world, 1)
    admin = await staff_token(world.client, conn, username="root", role="admin", site_code=None,
                              device_id="dev-admin")
    assert [b["bag_id"] for b in await _bags(world, admin)] == [bag]
    problem(await world.client.get("/v1/bags", headers=world.courier), 403)


async def test_an_unknown_status_is_refused_by_name(world):
    response = await world.client.get("/v1/bags", headers=world.sorter,
                                      params={"status": "lost"})
    assert problem_fields(problem(response, 422)) == ["query:status"]


async def test_the_manifest_shows_which_items_the_branch_has_not_scanned(world):
    bag, tns = await _filled(world, 3)
    opened = (await _manifest(world, world.sorter, bag)).json()
    assert opened["status"] == "open" and opened["missing"] == [] and opened["count"] == 3
    assert opened["destination"] == world.branch and opened["destination_name"]
    assert [i["tracking_number"] for i in opened["items"]] == tns
    assert opened["items"][0] == {"tracking_number": tns[0], "document_type": "passport",
                                  "state": "received", "confirmed": False}
    await applied(world.client, world.sorter, bag, "dispatch")
    await applied(world.client, world.clerk, bag, "arrive")
    await applied(world.client, world.clerk, tns[1], "arrive")
    response = await _manifest(world, world.clerk, bag)
    assert response.headers["cache-control"] == "private, no-store"
    arrived = response.json()
    assert arrived["status"] == "arrived" and arrived["arrived_at"] is not None
    assert [i["confirmed"] for i in arrived["items"]] == [False, True, False]
    assert {i["state"] for i in arrived["items"]} == {"at_branch"}
    assert arrived["missing"] == [tns[0], tns[2]]


async def test_an_item_taken_out_is_not_in_the_manifest(world):
    bag, tns = await _filled(world, 2)
    await applied(world.client, world.sorter, tns[0], "unbag", bag=bag)
    manifest = (await _manifest(world, world.sorter, bag)).json()
    assert [i["tracking_number"] for i in manifest["items"]] == [tns[1]]
    assert manifest["count"] == 1
    assert (await _bags(world, world.sorter))[0]["count"] == 1


async def test_a_manifest_is_seen_from_either_end_only(world, conn):
    bag, tns = await _filled(world, 1)
    for who in (world.sorter, world.supervisor):
        assert (await _manifest(world, who, bag)).status_code == 200
    await applied(world.client, world.sorter, bag, "dispatch")
    assert (await _manifest(world, world.clerk, bag)).status_code == 200
    far = await staff_token(world.client, conn, username="sup-basra", role="supervisor",
                            site_code="BA-001", device_id="dev-basra")
    hidden = problem(await _manifest(world, world.other_clerk, bag), 404)
    unknown = problem(await _manifest(world, world.other_clerk, "BAG0000005724"), 404)
    assert hidden["detail"].replace(bag, "B") == unknown["detail"].replace("BAG0000005724", "B")
    assert tns[0] not in str(hidden)
    problem(await _manifest(world, far, bag), 404)
    problem(await _manifest(world, world.courier, bag), 403)


async def test_a_malformed_bag_id_is_refused_by_name(world):
    for malformed in ("BAG0000005725", "nonsense"):
        body = problem(await _manifest(world, world.sorter, malformed), 422)
        assert problem_fields(body) == ["path:bag_id"]
