"""What a citizen is told, journey by journey, driven as agencies, staff and the scheduler drive
them (the API, the scans, the jobs) and read from what reached the fake Twilio."""

import datetime as dt

import pytest

from delivery.custody import tasks
from delivery.custody.context import custody_context
from tests.custody_world import SIGNED_BY, applied, last4
from tests.helpers import auth
from tests.integration.journey_support import (
    LANGUAGES,
    LONG_AGENCY,
    in_language,
    out,
    to_branch,
    within_two_segments,
)

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_home_delivery(world, citizen, conn, fake, language):
    me = citizen(language)
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await to_branch(world, tn)
    await out(world, tn)
    assert await me.kinds() == ["accepted", "out_for_delivery"]
    await applied(world.client, world.courier, tn, "deliver", otp=await me.code(),
                  id_last4=await last4(conn, tn))
    assert await me.kinds() == ["accepted", "out_for_delivery", "delivered"]
    assert await me.asked_later() == ["accepted", "out_for_delivery", "delivered",
                                      "bribe_question"]
    told = await me.told()
    assert all(in_language(language, body) for _, body in told)
    assert within_two_segments(fake)
    assert "/t/" in told[0][1] and "/t/" in told[-1][1]  # both link to the citizen's page


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_failed_attempt_then_a_delivery(world, citizen, conn, fake, language):
    me = citizen(language)
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await to_branch(world, tn)
    await out(world, tn)
    assert await me.kinds() == ["accepted", "out_for_delivery"]
    await applied(world.client, world.courier, tn, "fail", reason="absent")
    failed = (await me.told())[-1]
    assert failed[0] == "delivery_failed"
    assert {"ar": "يوم عمل آخر", "ckb": "ڕۆژێکی تری کار", "en": "try again"}[language] in failed[1]
    await applied(world.client, world.courier, tn, "return")
    await applied(world.client, world.clerk, tn, "accept")
    await out(world, tn)
    await applied(world.client, world.courier, tn, "deliver", otp=await me.code(),
                  id_last4=await last4(conn, tn))
    assert (await me.kinds())[-1] == "delivered"
    assert await me.asked_later() == ["accepted", "out_for_delivery", "delivery_failed",
                                      "out_for_delivery", "delivered", "bribe_question"]
    assert all(in_language(language, body) for _, body in await me.told())
    assert within_two_segments(fake)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_pickup_at_the_branch(world, citizen, conn, fake, language):
    me = citizen(language)
    tn = await me.submit(mode="pickup")
    assert await me.kinds() == ["accepted"]
    await to_branch(world, tn)
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
    assert all(in_language(language, body) for _, body in await me.told())
    assert within_two_segments(fake)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_return_to_the_agency_after_the_hold(world, citizen, conn, fake, sms_settings,
                                                     language):
    me = citizen(language)
    tn = await me.submit(mode="pickup")
    assert await me.kinds() == ["accepted"]
    await to_branch(world, tn)
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
    assert all(in_language(language, body.split(LONG_AGENCY[:20])[0]) for _, body in told)
    assert within_two_segments(fake)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_recalled_document_gets_no_further_message(world, citizen, conn, language):
    me = citizen(language)
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await applied(world.client, world.sorter, tn, "receive")
    recalled = await world.client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
    assert recalled.status_code == 200, recalled.text
    await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)
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



async def test_a_language_chosen_on_the_page_is_the_one_the_next_messages_speak(world, citizen):
    me = citizen("ar")
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    page = await world.client.get(me.link() + "?lang=ckb")
    assert page.status_code == 200 and 'lang="ckb"' in page.text
    await to_branch(world, tn)
    await out(world, tn)
    kind, body = (await me.told())[-1]
    assert kind == "out_for_delivery" and "نامەبەر" in body  # Sorani, not Arabic
