"""What a citizen is told, journey by journey, driven as agencies, staff and the scheduler drive
them (the API, the scans, the jobs) and read from what reached the fake Twilio."""

import asyncio
import datetime as dt
import itertools
import re

import pytest
from litestar.testing import AsyncTestClient

from delivery.custody import tasks
from delivery.custody.context import custody_context
from delivery.web.app import create_app
from tests.custody_world import applied, build_world, last4, open_bag, submit
from tests.fakes.twilio import FakeTwilio
from tests.helpers import auth, create_agency
from tests.integration.sms_support import drain, twilio_settings

pytestmark = pytest.mark.usefixtures("demo_sites")

LANGUAGES = ("ar", "ckb", "en")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
CODE = re.compile(r"(?<![\d/:])\d{6,8}(?![\d/:])")
# As long as real ones get: the longest document name, an agency name past its bound.
LONG_AGENCY = "مديرية شؤون الجنسية والأحوال المدنية والإقامة العامة"
FEEDBACK_DELAY_S = 1
_PHONES = itertools.count(1)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def sms_settings(settings, fake):
    return twilio_settings(settings, fake, sms_quiet_hours="",
                           sms_feedback_delay_s=FEEDBACK_DELAY_S)


@pytest.fixture
async def world(sms_settings, conn):
    async with AsyncTestClient(app=create_app(sms_settings)) as client:
        world = await build_world(client, conn)
        world.key = await create_agency(conn, "MOI-NATIONALITY", name=LONG_AGENCY)
        yield world


class Citizen:
    """One citizen: their document, and what reached their phone."""

    def __init__(self, world, conn, fake, settings, language):
        self.world, self.conn, self.fake, self.settings = world, conn, fake, settings
        self.language = language
        self.local = f"0770{next(_PHONES):07d}"
        self.phone = "+964" + self.local[1:]

    async def submit(self, **changes) -> str:
        language = {"language": self.language} if self.language != "ar" else {}
        self.tn = await submit(self.world.client, self.world.key, f"REF-{self.local}",
                               phone=self.local, document_type="national_id",
                               **language, **changes)
        return self.tn

    async def told(self) -> list[tuple[str, str]]:
        """(kind, body) of every message sent to the citizen, in order; all sent so far."""
        await drain(self.settings, self.conn)
        kinds = dict(await self.conn.fetch(
            "SELECT provider_sid, kind FROM sms_messages WHERE provider_sid IS NOT NULL"))
        return [(kinds[m.sid], m.body) for m in self.fake.messages if m.to == self.phone]

    async def kinds(self) -> list[str]:
        return [kind for kind, _ in await self.told()]

    async def code(self) -> str:
        """The one-time code of the newest message that carries one."""
        bodies = [body for _, body in await self.told() if CODE.search(body)]
        return CODE.search(bodies[-1]).group()

    async def asked_later(self) -> list[str]:
        """The kinds sent once the feedback delay has gone by."""
        await asyncio.sleep(FEEDBACK_DELAY_S + 0.2)
        return await self.kinds()


@pytest.fixture
def citizen(world, conn, fake, sms_settings):
    return lambda language: Citizen(world, conn, fake, sms_settings, language)


async def _to_branch(world, tn: str) -> None:
    await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await applied(world.client, world.sorter, bag, "dispatch")
    await applied(world.client, world.clerk, bag, "arrive")


async def _out(world, tn: str) -> None:
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    await applied(world.client, world.courier, tn, "take")


def _in_language(language: str, body: str) -> bool:
    return bool(ARABIC_SCRIPT.search(body)) == (language != "en")


def _within_two_segments(fake) -> bool:
    return all(m.num_segments <= 2 for m in fake.messages)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_home_delivery(world, citizen, conn, fake, language):
    me = citizen(language)
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await _to_branch(world, tn)
    await _out(world, tn)
    assert await me.kinds() == ["accepted", "out_for_delivery"]
    await applied(world.client, world.courier, tn, "deliver", otp=await me.code(),
                  id_last4=await last4(conn, tn))
    assert await me.kinds() == ["accepted", "out_for_delivery", "delivered"]
    assert await me.asked_later() == ["accepted", "out_for_delivery", "delivered",
                                      "bribe_question"]
    told = await me.told()
    assert all(_in_language(language, body) for _, body in told)
    assert _within_two_segments(fake)
    assert "/t/" in told[0][1] and "/t/" in told[-1][1]  # both link to the citizen's page


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_failed_attempt_then_a_delivery(world, citizen, conn, fake, language):
    me = citizen(language)
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await _to_branch(world, tn)
    await _out(world, tn)
    assert await me.kinds() == ["accepted", "out_for_delivery"]
    await applied(world.client, world.courier, tn, "fail", reason="absent")
    failed = (await me.told())[-1]
    assert failed[0] == "delivery_failed"
    assert {"ar": "يوم عمل آخر", "ckb": "ڕۆژێکی تری کار", "en": "try again"}[language] in failed[1]
    await applied(world.client, world.courier, tn, "return")
    await applied(world.client, world.clerk, tn, "accept")
    await _out(world, tn)
    await applied(world.client, world.courier, tn, "deliver", otp=await me.code(),
                  id_last4=await last4(conn, tn))
    assert (await me.kinds())[-1] == "delivered"
    assert await me.asked_later() == ["accepted", "out_for_delivery", "delivery_failed",
                                      "out_for_delivery", "delivered", "bribe_question"]
    assert all(_in_language(language, body) for _, body in await me.told())
    assert _within_two_segments(fake)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_pickup_at_the_branch(world, citizen, conn, fake, language):
    me = citizen(language)
    tn = await me.submit(mode="pickup")
    assert await me.kinds() == ["accepted"]
    await _to_branch(world, tn)
    await applied(world.client, world.clerk, tn, "shelve")
    kind, body = (await me.told())[-1]
    branch = await conn.fetchrow(f"SELECT code, name_{language} AS name FROM sites "
                                 "WHERE code = $1", world.branch)
    assert kind == "ready_for_pickup"
    assert tn in body and branch["name"][:20] in body and branch["code"] not in body
    await applied(world.client, world.clerk, tn, "collect", otp=await me.code(),
                  id_last4=await last4(conn, tn))
    assert (await me.kinds())[-1] == "collected"
    assert await me.asked_later() == ["accepted", "ready_for_pickup", "collected",
                                      "bribe_question"]
    assert all(_in_language(language, body) for _, body in await me.told())
    assert _within_two_segments(fake)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_return_to_the_agency_after_the_hold(world, citizen, conn, fake, sms_settings,
                                                     language):
    me = citizen(language)
    tn = await me.submit(mode="pickup")
    assert await me.kinds() == ["accepted"]
    await _to_branch(world, tn)
    await applied(world.client, world.clerk, tn, "shelve")
    assert await me.kinds() == ["accepted", "ready_for_pickup"]
    # The hold's days go by (the clock of the table, not of the worker, is moved on).
    await conn.execute("UPDATE items SET hold_until = now() - interval '1 second' "
                       "WHERE tracking_number = $1", tn)
    now = dt.datetime.now(dt.UTC)
    assert await tasks.expire_holds(conn, custody_context(sms_settings), now=now) == 1
    told = await me.told()
    assert [kind for kind, _ in told] == ["accepted", "ready_for_pickup", "returning"]
    assert LONG_AGENCY[:20] in told[-1][1]  # whom to contact, cut to its bound
    assert all(_in_language(language, body.split(LONG_AGENCY[:20])[0]) for _, body in told)
    assert _within_two_segments(fake)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_recalled_document_gets_no_further_message(world, citizen, conn, language):
    me = citizen(language)
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await applied(world.client, world.sorter, tn, "receive")
    recalled = await world.client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
    assert recalled.status_code == 200, recalled.text
    await applied(world.client, world.sorter, tn, "returned")
    assert await me.kinds() == ["accepted"]


async def test_a_message_queued_before_a_recall_is_dropped_and_says_why(world, citizen, conn):
    me = citizen("ar")
    tn = await me.submit()  # its "accepted" waits in the outbox ...
    recalled = await world.client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
    assert recalled.status_code == 200, recalled.text
    assert await me.kinds() == []  # ... and is dropped when its turn comes
    row = await conn.fetchrow("SELECT o.status, o.last_error FROM outbox o JOIN items i "
                              "ON i.id = o.item_id WHERE i.tracking_number = $1 "
                              "AND o.channel = 'sms'", tn)
    assert row["status"] == "done" and "skipped: the item is cancelled now" in row["last_error"]

