"""Integrity signals over a small Baghdad world: the figures, the outlier, the items behind a
figure, and what an inspector of another governorate sees of it (nothing)."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from delivery.console.scope import Scope
from delivery.console.signals import services
from delivery.console.signals.model import default_period
from delivery.custody.context import custody_context
from delivery.custody.otp import MAX_WRONG_ATTEMPTS
from tests.custody_world import applied, last4, scan_body, upload
from tests.integration.journey_support import to_branch
from tests.integration.signals_support import build, taken

pytestmark = pytest.mark.usefixtures("demo_sites")


async def _board(conn, settings, scope):
    now = datetime.now(UTC)
    return await services.board(conn, period=default_period(now), scope=scope,
                                ctx=custody_context(settings), now=now)


async def _behind(conn, settings, scope, signal, **unit):
    now = datetime.now(UTC)
    rows, more = await services.items_behind(
        conn, period=default_period(now), scope=scope, ctx=custody_context(settings), now=now,
        signal=signal, branch=unit.get("branch"), staff=unit.get("staff"), page=1)
    assert not more
    return sorted(r.tracking_number for r in rows)


async def test_figures_per_branch_and_courier_with_the_far_courier_marked(world, citizen, conn,
                                                                          sms_settings):
    built = await build(world, citizen, conn)
    board = await _board(conn, sms_settings, Scope(governorate="IQ-BG"))
    [branch] = board.branches
    assert branch.key == world.branch
    assert branch.counts["delivered"] == 5 and branch.counts["far"] == 3
    assert branch.counts["money_yes"] == 1 and branch.counts["wrong_code"] == 1
    assert branch.counts["failed"] == 1 and branch.counts["failed:absent"] == 1
    staff = {u.key: u for u in board.staff}
    assert staff["courier"].counts["far"] == 3 and "far" not in staff["courier2"].counts
    assert staff["courier"].counts["money_yes"] == 1
    assert staff["courier2"].counts["wrong_code"] == 1
    assert board.flagged(staff["courier"], "far")
    assert not board.flagged(staff["courier2"], "far")
    assert built.money in built.far


async def test_each_figure_lists_the_items_behind_it(world, citizen, conn, sms_settings):
    built = await build(world, citizen, conn)
    scope = Scope(governorate="IQ-BG")
    assert await _behind(conn, sms_settings, scope, "far", staff="courier") == sorted(built.far)
    assert await _behind(conn, sms_settings, scope, "money_yes",
                         branch=world.branch) == [built.money]
    assert await _behind(conn, sms_settings, scope, "failed:absent",
                         staff="courier") == [built.absent]
    assert await _behind(conn, sms_settings, scope, "wrong_code",
                         staff="courier2") == [built.wrong]
    assert await _behind(conn, sms_settings, scope, "far", staff="courier2") == []


async def test_an_inspector_of_another_governorate_sees_nothing_of_baghdad(world, citizen, conn,
                                                                          sms_settings):
    await build(world, citizen, conn)
    basra = Scope(governorate="IQ-BA")
    board = await _board(conn, sms_settings, basra)
    assert board.branches == [] and board.staff == []
    assert await _behind(conn, sms_settings, basra, "delivered", branch=world.branch) == []
    national = await _board(conn, sms_settings, Scope(everything=True))
    assert [b.key for b in national.branches] == [world.branch]


async def test_unconfirmed_hand_overs_and_stuck_items_are_counted_as_they_stand(world, citizen,
                                                                               conn, sms_settings):
    me = citizen("ar")
    given = await me.submit()
    await me.told()
    await to_branch(world, given)
    await applied(world.client, world.clerk, given, "to_courier", courier="courier")  # not taken
    now = datetime.now(UTC)
    ctx = msgspec.structs.replace(custody_context(sms_settings), handover_alert_after=timedelta(0))
    scope = Scope(governorate="IQ-BG")
    board = await services.board(conn, period=default_period(now), scope=scope, ctx=ctx,
                                 now=now + timedelta(seconds=1))
    [branch] = board.branches
    assert branch.counts["unconfirmed"] == 1 and "stuck" not in branch.counts
    later = now + timedelta(days=3)
    board = await services.board(conn, period=default_period(later), scope=scope, ctx=ctx,
                                 now=later)
    rows, _ = await services.items_behind(conn, period=default_period(later), scope=scope,
                                          ctx=ctx, now=later, signal="stuck",
                                          branch=world.branch, staff=None, page=1)
    assert given in [r.tracking_number for r in rows]  # with the world's first, unmoved item
    assert board.branches[0].counts["stuck"] == len(rows) == 2


async def test_a_courier_locked_out_after_wrong_codes_is_counted_at_their_branch(world, citizen,
                                                                                conn,
                                                                                sms_settings):
    items = [await taken(world, citizen, world.other_courier, "courier2") for _ in range(2)]
    wrong = [scan_body(tn, "deliver", otp="00000000", id_last4=await last4(conn, tn))
             for tn in items for _ in range(MAX_WRONG_ATTEMPTS)]
    await upload(world.client, world.other_courier, wrong)
    board = await _board(conn, sms_settings, Scope(governorate="IQ-BG"))
    staff = {u.key: u for u in board.staff}
    assert staff["courier2"].counts["lockout"] == 1
    assert staff["courier2"].counts["wrong_code"] == 2 * MAX_WRONG_ATTEMPTS
    assert board.branches[0].counts["lockout"] == 1
