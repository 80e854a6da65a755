"""The agency's return manifest: GET /v1/returns?date= (JSON) and the printable page."""

from datetime import UTC, datetime, timedelta

import pytest

from delivery.custody.anchors import local_day
from delivery.custody.model import ReturnReason
from delivery.intake.returns import REASON_WORDS
from tests.custody_world import (
    SIGNED_BY,
    applied,
    build_world,
    out_for_delivery,
    submit,
    to_branch,
)
from tests.helpers import auth, create_agency

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def _back_at_the_centre(world, tn: str) -> None:
    await applied(world.client, world.clerk, tn, "send_back")
    await applied(world.client, world.sorter, tn, "accept")


async def _returned_today(world) -> tuple[str, str, str]:
    """A refused item and a recalled one handed back; a third still on its way."""
    refused = await submit(world.client, world.key, "PP-REFUSED")
    await out_for_delivery(world, refused)
    await applied(world.client, world.courier, refused, "fail", reason="refused")
    await _back_at_the_centre(world, refused)
    recalled = await submit(world.client, world.key, "PP-RECALLED")
    await applied(world.client, world.sorter, recalled, "receive")
    cancel = await world.client.post(f"/v1/documents/{recalled}/cancel", headers=auth(world.key))
    assert cancel.status_code == 200, cancel.text
    for tn in (refused, recalled):
        await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)
    on_its_way = await submit(world.client, world.key, "PP-ON-ITS-WAY")
    await out_for_delivery(world, on_its_way)
    await applied(world.client, world.courier, on_its_way, "fail", reason="wrong_person")
    return refused, recalled, on_its_way


async def test_the_days_manifest_lists_each_return_with_its_reason_and_masked_signature(world):
    refused, recalled, on_its_way = await _returned_today(world)
    today = local_day(datetime.now(UTC)).isoformat()
    response = await world.client.get("/v1/returns", params={"date": today},
                                      headers=auth(world.key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == today and body["count"] == 2
    assert [(i["tracking_number"], i["return_reason"]) for i in body["items"]] == [
        (refused, "refused"), (recalled, "recalled")]
    first = body["items"][0]
    assert first["external_ref"] == "PP-REFUSED" and first["sorting_centre"] == "SC-BG"
    assert first["signed_by"] == {"name": "Z. K.", "id_last4": "4321"}
    assert "Zainab" not in response.text and on_its_way not in response.text
    default = await world.client.get("/v1/returns", headers=auth(world.key))
    assert default.json() == body
    yesterday = (local_day(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    before = await world.client.get("/v1/returns", params={"date": yesterday},
                                    headers=auth(world.key))
    assert before.json() == {"date": yesterday, "count": 0, "items": []}


async def test_the_printable_manifest_is_arabic_first(world):
    refused, recalled, _ = await _returned_today(world)
    today = local_day(datetime.now(UTC)).isoformat()
    page = await world.client.get(f"/v1/returns/{today}/manifest", headers=auth(world.key))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert '<html lang="ar" dir="rtl">' in text
    assert text.index("بيان الوثائق المعادة") < text.index("Documents handed back")
    assert refused in text and recalled in text
    assert "رفض المواطن الاستلام" in text and "سحبتها الجهة" in text
    assert "Z. K." in text and "Zainab" not in text


async def test_another_agency_sees_none_of_these_returns_and_bad_input_is_a_422(world, conn):
    refused, _, _ = await _returned_today(world)
    other = await create_agency(conn, "MOT-VEHICLES")
    today = local_day(datetime.now(UTC)).isoformat()
    theirs = await world.client.get("/v1/returns", params={"date": today}, headers=auth(other))
    assert theirs.status_code == 200 and theirs.json()["count"] == 0
    page = await world.client.get(f"/v1/returns/{today}/manifest", headers=auth(other))
    assert page.status_code == 200 and refused not in page.text
    for path, params in (("/v1/returns", {"date": "yesterday"}),
                         ("/v1/returns", {"day": today}),
                         ("/v1/returns/2026-13-40/manifest", {})):
        bad = await world.client.get(path, params=params, headers=auth(world.key))
        assert bad.status_code in (400, 422), (path, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
    assert (await world.client.get("/v1/returns")).status_code == 401


async def test_an_expired_hold_comes_back_on_the_manifest_with_its_reason(world, conn, settings):
    from delivery.custody import tasks
    from delivery.custody.context import custody_context

    tn = await submit(world.client, world.key, "PP-SHELF")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    await conn.execute("UPDATE items SET hold_until = now() - interval '1 s' "
                       "WHERE tracking_number = $1", tn)
    await tasks.expire_holds(conn, custody_context(settings), now=datetime.now(UTC))
    await _back_at_the_centre(world, tn)
    await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)
    body = (await world.client.get("/v1/returns", headers=auth(world.key))).json()
    assert [(i["tracking_number"], i["return_reason"]) for i in body["items"]] == [
        (tn, "hold_expired")]


def test_every_return_reason_has_its_words_on_the_printed_manifest():
    """A reason the manifest has no words for would break the agency's printed page."""
    assert set(REASON_WORDS) == set(ReturnReason)
    assert all(arabic and english for arabic, english in REASON_WORDS.values())
