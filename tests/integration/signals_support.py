"""A small Baghdad world for the integrity signals, built through the front door: documents by
the agency API, moves by handheld scans, money answers on the citizen's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

from tests.custody_world import applied, last4, last_code, scan, submit
from tests.integration.journey_support import to_branch

# The document's default point (tests.helpers.document) and a place about 15 km from it.
HOME = {"lat": 33.312, "lon": 44.361}
FAR = {"lat": 33.420, "lon": 44.480}


class Built(msgspec.Struct, kw_only=True):
    far: list[str]  # delivered by "courier" far from the citizen's point
    near: list[str]  # delivered by "courier2" at the door
    money: str  # the hand-over whose citizen answered "yes"
    absent: str  # failed by "courier": nobody home
    wrong: str  # a wrong code tried by "courier2"


async def handed_over(world, citizen, conn, *, courier: str, at: dict) -> tuple[str, object]:
    """A document delivered by `courier` ("courier" or "courier2") with the proof's point `at`."""
    me = citizen("ar")
    tn = await me.submit()
    await me.told()
    await to_branch(world, tn)
    headers = world.courier if courier == "courier" else world.other_courier
    await applied(world.client, world.clerk, tn, "to_courier", courier=courier)
    await applied(world.client, headers, tn, "take")
    await applied(world.client, headers, tn, "deliver", otp=await me.code(),
                  id_last4=await last4(conn, tn), location=at)
    return tn, me


async def answer_money(world, me, asked: str) -> None:
    """The citizen answers the money question on their page."""
    page = await world.client.get(me.link())
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answered = await world.client.post(me.link() + "/report", data={"csrf": csrf, "asked": asked},
                                       follow_redirects=False)
    assert answered.status_code == 303, answered.text


async def taken(world, citizen, courier_headers, courier: str) -> str:
    me = citizen("ar")
    tn = await me.submit()
    await me.told()
    await to_branch(world, tn)
    await applied(world.client, world.clerk, tn, "to_courier", courier=courier)
    await applied(world.client, courier_headers, tn, "take")
    return tn


async def build(world, citizen, conn) -> Built:
    """Three far hand-overs by "courier" (one answered "asked for money"), two at the door by
    "courier2", an absent citizen for "courier", a wrong code by "courier2"."""
    far, near = [], []
    for _ in range(3):
        tn, me = await handed_over(world, citizen, conn, courier="courier", at=FAR)
        far.append(tn)
    await answer_money(world, me, "yes")
    for _ in range(2):
        tn, you = await handed_over(world, citizen, conn, courier="courier2", at=HOME)
        near.append(tn)
    await answer_money(world, you, "no")
    absent = await taken(world, citizen, world.courier, "courier")
    await applied(world.client, world.courier, absent, "fail", reason="absent")
    wrong = await taken(world, citizen, world.other_courier, "courier2")
    refused = await scan(world.client, world.other_courier, wrong, "deliver", otp="00000000",
                         id_last4=await last4(conn, wrong),
                         at=datetime.now(UTC))
    assert refused["status"] == "rejected", refused
    return Built(far=far, near=near, money=far[-1], absent=absent, wrong=wrong)


async def plain_hand_over(world, conn, ref: str, *, courier: str, at: dict) -> str:
    """A passport delivered by `courier` with the proof's point `at`, the code read from the
    outbox (no SMS gateway needed: for the browser test)."""
    tn = await submit(world.client, world.key, ref)
    await to_branch(world, tn)
    headers = world.courier if courier == "courier" else world.other_courier
    await applied(world.client, world.clerk, tn, "to_courier", courier=courier)
    await applied(world.client, headers, tn, "take")
    await applied(world.client, headers, tn, "deliver", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn), location=at)
    return tn
