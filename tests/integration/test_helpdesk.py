"""The help desk serves a citizen without a smartphone: finds their item by tracking number and
phone together, confirms them with a code sent by SMS (read from the fake Twilio), and records
their choices as the help desk's custody events on their behalf."""

import re

import pytest
from markupsafe import escape

from delivery.console.helpdesk import model
from delivery.console.helpdesk.model import Verdict
from delivery.console.helpdesk.pages import WORDS
from tests.console_support import console_login
from tests.custody_world import applied
from tests.integration.journey_support import CODE, to_branch

pytestmark = pytest.mark.usefixtures("demo_sites")
ITEM_PATH = re.compile(r"^/ops/helpdesk/items/(\d+)$")
DAY = re.compile(r'<option value="(\d{4}-\d\d-\d\d)">')


def _says(response, key) -> bool:
    return str(escape(WORDS[key][1])) in response.text


class Desk:
    """A member of the help desk of a governorate at the console, in English."""

    def __init__(self, console, staff_id: int):
        self.console, self.staff_id = console, staff_id

    async def lookup(self, tracking_number: str, phone: str) -> int | None:
        """The item's id when the lookup opens it; None for the one neutral "not found"."""
        response = await self.console.post("/ops/helpdesk/lookup", data={
            "tracking_number": tracking_number, "phone": phone})
        if response.status_code == 404:
            assert _says(response, "not_found")
            return None
        assert response.status_code == 303, response.text
        return int(ITEM_PATH.match(response.headers["location"]).group(1))

    async def send_code(self, item_id: int) -> None:
        response = await self.console.post(f"/ops/helpdesk/items/{item_id}/code")
        assert response.status_code == 303, response.text

    async def enter(self, item_id: int, code: str) -> Verdict:
        """The verdict the page shows on the code typed."""
        response = await self.console.post(f"/ops/helpdesk/items/{item_id}/confirm",
                                           data={"code": code})
        if response.status_code == 303:
            return Verdict.accepted
        assert response.status_code == 422
        return next(v for v in Verdict if _says(response, v))

    async def choose_pickup(self, item_id: int, branch: str):
        return await self.console.post(f"/ops/helpdesk/items/{item_id}/mode",
                                       data={"mode": "pickup", "branch": branch})

    async def choose_day(self, item_id: int) -> str:
        page = await self.console.get(f"/ops/helpdesk/items/{item_id}")
        day = DAY.findall(page.text)[-1]
        response = await self.console.post(f"/ops/helpdesk/items/{item_id}/day",
                                           data={"day": day, "window": "afternoon"})
        assert response.status_code == 303, response.text
        return day


@pytest.fixture
def helpdesk(world, conn):
    async def make(governorate: str = "IQ-BG", username: str = "desk") -> Desk:
        console = await console_login(world.client, conn, username=username, role="helpdesk",
                                      governorate=governorate)
        assert (await console.get("/ops/helpdesk?lang=en")).status_code == 200
        staff_id = await conn.fetchval("SELECT id FROM staff WHERE username = $1", username)
        return Desk(console, staff_id)
    return make


def _refused_before_confirmation(response) -> bool:
    return response.status_code == 403 and _says(response, "not_confirmed")


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
    for _ in range(model.LOOKUP_LIMIT):
        await at_desk.lookup(tn, "07709999999")
    refused = await at_desk.console.post("/ops/helpdesk/lookup", data={
        "tracking_number": tn, "phone": me.local})
    assert refused.status_code == 429 and _says(refused, "too_many")


async def test_no_choice_is_recorded_before_the_code_is_entered(world, citizen, helpdesk, conn):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    assert _refused_before_confirmation(await at_desk.choose_pickup(item, world.branch))
    await at_desk.send_code(item)
    assert _refused_before_confirmation(await at_desk.choose_pickup(item, world.branch))
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
    assert _refused_before_confirmation(await at_desk.choose_pickup(item, world.branch))
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
    assert _refused_before_confirmation(await at_desk.choose_pickup(item, world.branch))


async def test_a_confirmed_caller_chooses_a_day_then_pickup_at_a_branch(world, citizen, helpdesk,
                                                                       conn, fake):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    await at_desk.send_code(item)
    assert await at_desk.enter(item, await _code_sent(me)) == Verdict.accepted
    day = await at_desk.choose_day(item)
    chosen = await at_desk.choose_pickup(item, world.branch)
    assert chosen.status_code == 303, chosen.text
    events = await _events(conn, tn)
    assert [(e["action"], e["actor_role"], e["actor_id"]) for e in events[1:]] == [
        ("reschedule", "helpdesk", at_desk.staff_id),
        ("choose_pickup", "helpdesk", at_desk.staff_id)]
    assert all(e["payload"]["on_behalf_of"] == "citizen"
               and e["payload"]["confirmed_by"] == "sms_code" for e in events[1:])
    assert events[1]["payload"]["day"] == day
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
    assert _refused_before_confirmation(await at_desk.choose_pickup(item, world.branch))


async def test_an_item_opens_only_after_this_desks_lookup_found_it(citizen, helpdesk):
    me = citizen("ar")
    tn = await me.submit()
    finder = await helpdesk()
    item = await finder.lookup(tn, me.local)
    page = await finder.console.get(f"/ops/helpdesk/items/{item}")
    assert page.status_code == 200
    assert me.local[-4:] in page.text and me.local[-7:] not in page.text  # last four digits only
    other = await helpdesk(username="desk2")  # the same browser, signed in as someone else
    assert (await other.console.get(f"/ops/helpdesk/items/{item}")).status_code == 404
    assert (await other.console.post(f"/ops/helpdesk/items/{item}/code")).status_code == 404


async def test_the_help_desk_is_not_for_a_supervisor(world, conn):
    console = await console_login(world.client, conn, username="boss", role="supervisor",
                                  site=world.branch)
    assert (await console.get("/ops/helpdesk")).status_code == 403


async def test_a_code_is_not_sent_again_within_a_minute_nor_too_often_in_an_hour(citizen,
                                                                                  helpdesk, conn):
    me = citizen("ar")
    tn = await me.submit()
    at_desk = await helpdesk()
    item = await at_desk.lookup(tn, me.local)
    await at_desk.send_code(item)
    again = await at_desk.console.post(f"/ops/helpdesk/items/{item}/code")
    assert again.status_code == 429 and _says(again, "too_soon")
    for _ in range(model.MAX_CODES_PER_HOUR - 1):
        # The citizen waited a little before asking again.
        await conn.execute("UPDATE helpdesk_checks SET sent_at = sent_at - interval '2 minutes'")
        await at_desk.send_code(item)
    await conn.execute("UPDATE helpdesk_checks SET sent_at = sent_at - interval '2 minutes'")
    capped = await at_desk.console.post(f"/ops/helpdesk/items/{item}/code")
    assert capped.status_code == 429 and _says(capped, "too_many_codes")
    sent = [kind for kind, _ in await me.told() if kind == "helpdesk_code"]
    assert len(sent) == model.MAX_CODES_PER_HOUR
