"""The help desk serves a citizen without a smartphone: finds their item by tracking number and
phone together, confirms them with a code sent by SMS (read from the fake Twilio), and records
their choices as the help desk's custody events on their behalf."""

import datetime as dt

import pytest

from delivery.console.helpdesk import services as desk
from delivery.console.helpdesk.model import Verdict
from delivery.console.scope import Scope
from delivery.platform.errors import NotFound
from delivery.staff.services import create_staff
from tests.custody_world import applied
from tests.integration.journey_support import CODE, to_branch

pytestmark = pytest.mark.usefixtures("demo_sites")


class Desk:
    """A member of the help desk of a governorate, working through the desk's services."""

    def __init__(self, world, conn, settings, staff):
        self.world, self.conn, self.settings, self.staff = world, conn, settings, staff
        self.scope = Scope(governorate=staff.governorate)

    @property
    def ctx(self):
        return self.world.client.app.state.tracking

    async def lookup(self, tracking_number: str, phone: str) -> int | None:
        try:
            return await desk.lookup(self.conn, self.scope, self.staff.id,
                                     tracking_number=tracking_number, phone=phone, now=_now())
        except NotFound as refused:
            assert str(refused) == desk.NOT_FOUND  # the same words, whichever part was wrong
            return None

    async def send_code(self, item_id: int) -> None:
        await desk.send_code(self.conn, self.settings.secret_key, self.scope, self.staff.id,
                             item_id, now=_now())

    async def enter(self, item_id: int, code: str) -> Verdict:
        return await desk.enter_code(self.conn, self.settings.secret_key, self.scope,
                                     self.staff.id, item_id, code, now=_now())

    async def choose_pickup(self, item_id: int, branch: str) -> None:
        await desk.choose_mode(self.conn, self.ctx, self.scope, self.staff.id, item_id,
                               mode="pickup", branch_code=branch, now=_now())

    async def choose_day(self, item_id: int) -> dt.date:
        today = dt.datetime.now(dt.UTC).date()
        page = await desk.view(self.conn, self.ctx, self.scope, self.staff.id, item_id,
                               today=today, now=_now())
        await desk.reschedule(self.conn, self.ctx, self.scope, self.staff.id, item_id,
                              day=page.days[-1], window="afternoon", today=today, now=_now())
        return page.days[-1]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture
def helpdesk(world, conn, sms_settings):
    async def make(governorate: str = "IQ-BG", username: str = "desk") -> Desk:
        staff = await create_staff(conn, username=username, password="correct horse battery",
                                   role="helpdesk", site_code=None, governorate=governorate)
        return Desk(world, conn, sms_settings, staff)
    return make


async def _code_sent(me) -> str:
    """The code of the newest help desk message that reached the citizen's phone."""
    bodies = [body for kind, body in await me.told() if kind == "helpdesk_code"]
    return CODE.search(bodies[-1]).group()


async def _events(conn, tn: str) -> list:
    return await conn.fetch(
        "SELECT e.action, e.actor_role, e.actor_id, e.payload FROM custody_events e "
        "JOIN items i ON i.id = e.item_id WHERE i.tracking_number = $1 ORDER BY e.seq", tn)


async def test_a_lookup_needs_the_tracking_number_and_the_phone_of_the_same_item(citizen,
                                                                                helpdesk):
    me, other = citizen("ar"), citizen("ar")
    tn, other_tn = await me.submit(), await other.submit()
    at_desk = await helpdesk()
    assert await at_desk.lookup(tn, other.local) is None
    assert await at_desk.lookup(other_tn, me.local) is None
    assert await at_desk.lookup(tn, "07709999999") is None
    assert await at_desk.lookup(tn, me.local) is not None
    assert await at_desk.lookup(tn.lower(), me.phone) is not None


async def test_the_help_desk_of_another_governorate_finds_nothing(citizen, helpdesk):
    me = citizen("ar")
    tn = await me.submit()
    in_basra = await helpdesk("IQ-BA")
    assert await in_basra.lookup(tn, me.local) is None


async def test_lookups_are_limited_per_member_of_staff(citizen, helpdesk):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    for _ in range(desk.model.LOOKUP_LIMIT):
        await at_desk.lookup(tn, "07709999999")
    with pytest.raises(desk.RateLimited):
        await at_desk.lookup(tn, me.local)


async def test_no_choice_is_recorded_before_the_code_is_entered(world, citizen, helpdesk, conn):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    with pytest.raises(desk.NotConfirmed):
        await at_desk.choose_pickup(item, world.branch)
    await at_desk.send_code(item)
    with pytest.raises(desk.NotConfirmed):
        await at_desk.choose_pickup(item, world.branch)
    assert [e["action"] for e in await _events(conn, tn)] == ["register"]


async def test_five_wrong_codes_lock_the_check_until_a_new_code_is_sent(world, citizen,
                                                                        helpdesk):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    await at_desk.send_code(item)
    code = await _code_sent(me)
    wrong = "000000" if code != "000000" else "111111"
    verdicts = [await at_desk.enter(item, wrong) for _ in range(5)]
    assert verdicts == [Verdict.wrong] * 4 + [Verdict.locked]
    assert await at_desk.enter(item, code) == Verdict.locked
    with pytest.raises(desk.NotConfirmed):
        await at_desk.choose_pickup(item, world.branch)
    await at_desk.send_code(item)  # a new code replaces the locked check
    assert await at_desk.enter(item, await _code_sent(me)) == Verdict.accepted


async def test_an_expired_code_is_refused(world, citizen, helpdesk, conn):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    await at_desk.send_code(item)
    code = await _code_sent(me)
    await conn.execute("UPDATE helpdesk_checks SET sent_at = sent_at - interval '10 minutes'")
    assert await at_desk.enter(item, code) == Verdict.expired
    with pytest.raises(desk.NotConfirmed):
        await at_desk.choose_pickup(item, world.branch)


async def test_a_confirmed_caller_chooses_a_day_then_pickup_at_a_branch(world, citizen, helpdesk,
                                                                       conn, fake):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    await at_desk.send_code(item)
    assert await at_desk.enter(item, await _code_sent(me)) == Verdict.accepted
    day = await at_desk.choose_day(item)
    await at_desk.choose_pickup(item, world.branch)
    events = await _events(conn, tn)
    assert [(e["action"], e["actor_role"], e["actor_id"]) for e in events[1:]] == [
        ("reschedule", "helpdesk", at_desk.staff.id),
        ("choose_pickup", "helpdesk", at_desk.staff.id)]
    assert all(e["payload"]["on_behalf_of"] == "citizen"
               and e["payload"]["confirmed_by"] == "sms_code" for e in events[1:])
    assert events[1]["payload"]["day"] == day.isoformat()
    # The citizen is told as usual: the pickup they chose, once it is on the branch's shelf.
    await to_branch(world, tn)
    await applied(world.client, world.clerk, tn, "shelve")
    assert sorted(await me.kinds()) == ["accepted", "helpdesk_code", "ready_for_pickup"]
    assert (await me.kinds())[-1] == "ready_for_pickup"


async def test_the_choice_window_closes_fifteen_minutes_after_the_code(world, citizen, helpdesk,
                                                                       conn):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    await at_desk.send_code(item)
    assert await at_desk.enter(item, await _code_sent(me)) == Verdict.accepted
    await conn.execute(
        "UPDATE helpdesk_checks SET confirmed_at = confirmed_at - interval '15 minutes'")
    with pytest.raises(desk.NotConfirmed):
        await at_desk.choose_pickup(item, world.branch)
