"""Uploads that lock the same items in opposite orders: PostgreSQL breaks the deadlock by
aborting one transaction, and the upload whose transaction it was is run again, not refused."""

import asyncio

import asyncpg
import pytest

from delivery.platform import db
from tests.custody_world import build_world, scan_body, state_of, submit
from tests.helpers import peer_client, running_app

pytestmark = pytest.mark.usefixtures("demo_sites")

LOCK_ITEM = "SELECT 1 FROM items WHERE tracking_number = $1 FOR UPDATE"


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


@pytest.mark.parametrize("with_bag", [False, True], ids=["in-memory path", "per-scan path"])
async def test_an_upload_chosen_as_a_deadlocks_victim_is_run_again(world, conn, settings,
                                                                   with_bag):
    # The upload locks its items in an order of its own: whichever this side holds, the upload
    # must be found holding the other one (then each waits for the other), so both are tried.
    for attempt, flip in enumerate((False, True)):
        items = [await submit(world.client, world.key, f"DL-{attempt}-{n}") for n in (1, 2)]
        held, wanted = reversed(items) if flip else items
        scans = [scan_body(tn, "receive") for tn in items]
        if with_bag:  # a scan of a bag takes the upload through the transactional per-scan path
            bag = (await world.client.post("/v1/bags", json={"destination": world.branch},
                                           headers=world.sorter)).json()["bag_id"]
            scans.append(scan_body(bag, "dispatch"))
        response = await _upload_against(settings, conn, world.sorter, scans, held, wanted)
        if response is not None:
            break
    else:
        raise AssertionError("the upload never held one item while waiting for the other")
    assert await _deadlocks(conn) > 0, "PostgreSQL saw no deadlock"
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]][:2] == ["applied", "applied"]
    assert [await state_of(conn, tn) for tn in items] == ["received", "received"]


async def _upload_against(settings, conn, headers, scans, held, wanted):
    """The upload's answer when it deadlocked with this side; None if it never held `wanted`."""
    other = await db.connect(settings.database_url)
    try:
        # The app on this test's own event loop, so that the upload and this side run at once.
        async with running_app(settings) as app, peer_client(app, "10.0.0.1") as handheld:
            async with other.transaction():
                # This side waits long before it looks for a deadlock: the upload finds it
                # first, and is the transaction PostgreSQL aborts.
                await other.execute("SET LOCAL deadlock_timeout = '30s'")
                await other.execute(LOCK_ITEM, held)
                upload = asyncio.create_task(
                    handheld.post("/v1/scans", json={"scans": scans}, headers=headers))
                await _until_waiting(conn, other, upload)
                deadlocked = await _locked_by_someone(conn, wanted)
                if deadlocked:
                    await other.execute(LOCK_ITEM, wanted)  # the upload holds it: a deadlock
            response = await asyncio.wait_for(upload, 30)
    finally:
        await other.close()
    return response if deadlocked else None


async def _deadlocks(conn) -> int:
    """Deadlocks PostgreSQL broke in this database (its statistics lag: read until they show)."""
    for _ in range(50):
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        if count := await conn.fetchval("SELECT deadlocks FROM pg_stat_database "
                                        "WHERE datname = current_database()"):
            return count
        await asyncio.sleep(0.1)
    return 0


async def _locked_by_someone(conn, tn) -> bool:
    try:
        async with conn.transaction():
            await conn.execute(LOCK_ITEM + " NOWAIT", tn)
    except asyncpg.LockNotAvailableError:
        return True
    return False


async def _until_waiting(conn, other, upload) -> None:
    """Until some backend waits for a lock `other` holds (the upload, blocked on the item)."""
    pid = other.get_server_pid()
    for _ in range(500):
        if await conn.fetchval("SELECT count(*) FROM pg_stat_activity "
                               "WHERE $1 = ANY(pg_blocking_pids(pid))", pid):
            return
        assert not upload.done(), upload.result().text
        await asyncio.sleep(0.02)
    raise AssertionError("the upload never waited for the locked item")
