"""A citizen following one document through the real API, scans and jobs, reading what reached
their phone at the fake Twilio (for the journey and money-question tests)."""

import asyncio
import itertools
import re

import pytest
from litestar.testing import AsyncTestClient

from delivery.web.app import create_app
from tests.custody_world import applied, build_world, open_bag, submit
from tests.fakes.twilio import FakeTwilio
from tests.helpers import create_agency
from tests.integration.sms_support import drain, twilio_settings

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
    # https, as PUBLIC_BASE_URL says: the page's cookies are Secure.
    async with AsyncTestClient(app=create_app(sms_settings), base_url="https://testserver") as client:
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

    async def kinds_sent(self) -> list[str]:
        """The kinds sent so far, without sending what waits."""
        kinds = dict(await self.conn.fetch(
            "SELECT provider_sid, kind FROM sms_messages WHERE provider_sid IS NOT NULL"))
        return [kinds[m.sid] for m in self.fake.messages if m.to == self.phone]

    def link(self) -> str:
        """The path of the citizen's page, from the link in their first message."""
        first = next(m.body for m in self.fake.messages if m.to == self.phone)
        return "/t/" + first.rsplit("/t/", 1)[1].strip()

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


async def to_branch(world, tn: str) -> None:
    await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await applied(world.client, world.sorter, bag, "dispatch")
    await applied(world.client, world.clerk, bag, "arrive")


async def out(world, tn: str) -> None:
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    await applied(world.client, world.courier, tn, "take")


def in_language(language: str, body: str) -> bool:
    return bool(ARABIC_SCRIPT.search(body)) == (language != "en")


def within_two_segments(fake) -> bool:
    return all(m.num_segments <= 2 for m in fake.messages)
