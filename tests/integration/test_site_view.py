"""The supervisor's site view, as services: items moved by intake and scans; a site sees its own
items, stuck items by per-state thresholds, alerts it can acknowledge, its stopped SMS."""

from datetime import UTC, datetime

import msgspec
import pytest

from delivery.console.site import services as site
from delivery.console.site.model import AlertKey
from delivery.custody.context import custody_context
from delivery.custody.model import State
from delivery.platform.errors import NotFound
from delivery.staff import store as staff_store
from delivery.staff.auth import StaffUser
from tests.custody_world import applied, open_bag, submit, to_branch
from tests.helpers import staff_token
from tests.integration.sms_support import drain, outbox_row

pytestmark = pytest.mark.usefixtures("demo_sites")


async def _user(conn, username: str) -> StaffUser:
    member = await staff_store.get_by_username(conn, username)
    fields = {f: getattr(member, f) for f in
              ("id", "username", "role", "site_id", "site_code", "site_kind", "governorate")}
    return StaffUser(**fields, device_id="dev-test")


async def _age(conn, tn: str, hours: float) -> None:
    """As if the item's last change were `hours` ago (time passing, not a product write)."""
    await conn.execute("UPDATE items SET updated_at = now() - make_interval(secs => $2) "
                       "WHERE tracking_number = $1", tn, hours * 3600)


async def _other_supervisor(world, conn) -> StaffUser:
    await staff_token(world.client, conn, username="super-b", role="supervisor",
                      site_code=world.other_branch, device_id="dev-sb")
    return await _user(conn, "super-b")


async def test_a_branch_sees_its_own_counts_with_every_state(world, conn, sms_settings):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(3)]
    await to_branch(world, tns[:2])
    mine = await site.site_of(conn, await _user(conn, "super"), None)
    ctx = custody_context(sms_settings)
    counts = dict((await site.overview(conn, ctx, mine, now=datetime.now(UTC))).counts)
    assert set(counts) == set(State)
    # build_world submits one item of its own to learn the branch.
    assert (counts[State.registered], counts[State.at_branch], counts[State.lost]) == (2, 2, 0)
    rows, more = await site.items_in_state(conn, mine, State.at_branch, 1)
    assert sorted(r.tracking_number for r in rows) == sorted(tns[:2]) and not more
    theirs = await site.site_of(conn, await _other_supervisor(world, conn), None)
    other = dict((await site.overview(conn, ctx, theirs, now=datetime.now(UTC))).counts)
    assert sum(other.values()) == 0


async def test_a_supervisor_cannot_name_another_site(world, conn):
    with pytest.raises(NotFound):
        await site.site_of(conn, await _user(conn, "super"), world.other_branch)


async def test_stuck_items_follow_each_states_threshold_and_are_bucketed_by_age(
        world, conn, sms_settings):
    received, at_branch = [await submit(world.client, world.key, f"PP-{i}") for i in range(2)]
    await applied(world.client, world.sorter, received, "receive")
    await to_branch(world, [at_branch])
    await _age(conn, received, 30)  # received: over a day
    await _age(conn, at_branch, 30)  # at a branch: two days allowed
    ctx = custody_context(sms_settings)
    mine = await site.site_of(conn, await _user(conn, "super"), None)
    now = datetime.now(UTC)
    groups = (await site.overview(conn, ctx, mine, now=now)).stuck
    assert [(g.state, g.counts) for g in groups] == [(State.received, (1, 0, 0))]
    rows, _ = await site.stuck_items(conn, ctx, mine, State.received, 1, now=now)
    assert [r.tracking_number for r in rows] == [received]
    await _age(conn, received, 24 * 8)
    groups = (await site.overview(conn, ctx, mine, now=now)).stuck
    assert [(g.state, g.counts) for g in groups] == [(State.received, (0, 0, 1))]
    alerts = await site.site_alerts(conn, ctx, mine, now=now)
    assert [(a.alert.kind, a.alert.tracking_number) for a in alerts] == [("stuck", received)]


async def test_a_shorter_threshold_makes_an_item_stuck_sooner(world, conn, sms_settings):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    await _age(conn, tn, 7)
    ctx = custody_context(msgspec.structs.replace(sms_settings, stuck_after_hours="at_branch=6"))
    mine = await site.site_of(conn, await _user(conn, "super"), None)
    alerts = await site.site_alerts(conn, ctx, mine, now=datetime.now(UTC))
    assert [(a.alert.kind, a.alert.tracking_number) for a in alerts] == [("stuck", tn)]


async def test_an_acknowledged_alert_leaves_the_open_list_until_it_happens_again(
        world, conn, sms_settings):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    await _age(conn, tn, 30)
    ctx = custody_context(sms_settings)
    supervisor = await _user(conn, "super")
    mine = await site.site_of(conn, supervisor, None)
    [alert] = await site.site_alerts(conn, ctx, mine, now=datetime.now(UTC))
    theirs = await site.site_of(conn, await _other_supervisor(world, conn), None)
    with pytest.raises(NotFound):
        await site.acknowledge(conn, ctx, supervisor, theirs, alert.key, now=datetime.now(UTC))
    await site.acknowledge(conn, ctx, supervisor, mine, alert.key, now=datetime.now(UTC))
    [seen] = await site.site_alerts(conn, ctx, mine, now=datetime.now(UTC))
    assert seen.acknowledged is not None and seen.acknowledged.username == "super"
    assert (await site.overview(conn, ctx, mine, now=datetime.now(UTC))).open_alerts == 0
    # It moves on and sticks again: a new occurrence, open again.
    bag = await open_bag(world)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await applied(world.client, world.sorter, bag, "dispatch")
    await _age(conn, tn, 30)
    [again] = await site.site_alerts(conn, ctx, mine, now=datetime.now(UTC))
    assert again.acknowledged is None and again.key != alert.key
    gone = AlertKey(kind="stuck", subject="RR000000000IQ", since=datetime.now(UTC))
    with pytest.raises(NotFound):
        await site.acknowledge(conn, ctx, supervisor, mine, gone, now=datetime.now(UTC))


async def test_a_site_sees_and_retries_only_its_own_dead_letters(
        world, conn, fake, sms_settings):
    tn = await submit(world.client, world.key, "PP-1")
    fake.fail_next(10, status=503)
    await drain(msgspec.structs.replace(sms_settings, sms_max_attempts=1), conn)
    mine = await site.site_of(conn, await _user(conn, "super"), None)
    rows, more = await site.dead_letters(conn, mine, 1)
    dead = {r.tracking_number: r.id for r in rows}  # with build_world's own first item
    assert tn in dead and len(dead) == 2 and not more
    theirs = await site.site_of(conn, await _other_supervisor(world, conn), None)
    assert (await site.dead_letters(conn, theirs, 1)) == ([], False)
    with pytest.raises(NotFound):
        await site.retry_dead_letter(conn, theirs, dead[tn])
    await site.retry_dead_letter(conn, mine, dead[tn])
    assert (await outbox_row(conn, dead[tn]))["status"] == "pending"
    assert tn not in {r.tracking_number for r in (await site.dead_letters(conn, mine, 1))[0]}
