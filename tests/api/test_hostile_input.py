"""Hostile input is refused at the edge with a problem naming the field, never a 500, and never
reaches the database: oversized integers, times at the calendar's ends, control and bidi
characters, bodies that are not UTF-8, nested too deep, sent as the wrong type or with a key
twice."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_tracking_forms import csrf_of, form, item_row
from tests.api.tracking_support import new_item
from tests.custody_world import build_world, scan_body, submit, upload
from tests.helpers import (
    auth,
    create_agency,
    document,
    problem,
    problem_fields,
    staff_token,
)

pytestmark = pytest.mark.usefixtures("demo_sites")
HUGE = 2**70


@pytest.fixture
async def key(conn) -> str:
    return await create_agency(conn, "MOI-HOSTILE")


@pytest.fixture
async def admin(client, conn) -> dict[str, str]:
    return await staff_token(client, conn, username="admin", role="admin", site_code=None,
                             device_id="dev-admin")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


# --- 1. integers beyond 64 bits ---------------------------------------------------------------

@pytest.mark.parametrize(("method", "url", "field"), [
    ("get", f"/v1/ops/outbox/dead?before={HUGE}", "query:before"),
    ("get", f"/v1/ops/outbox/dead?before={-HUGE}", "query:before"),
    ("get", f"/v1/ops/routes/BG-001/2026-12-07?version={HUGE}", "query:version"),
    ("post", f"/v1/ops/outbox/{HUGE}/retry", "path:outbox_id"),
    ("post", f"/v1/ops/complaints/{HUGE}/handled", "path:report_id"),
])
async def test_an_integer_beyond_64_bits_is_a_422_naming_it(client, admin, method, url, field):
    extra = {"json": {}} if method == "post" else {}
    body = problem(await client.request(method, url, headers=admin, **extra), 422)
    assert problem_fields(body) == [field]


async def test_an_agency_query_integer_beyond_64_bits_is_a_422_naming_it(client, key):
    body = problem(await client.get(f"/v1/webhook/deliveries?before={HUGE}", headers=auth(key)),
                    422)
    assert problem_fields(body) == ["query:before"]


@pytest.mark.parametrize("inside", [["2026-03-01T09:30:00+00:00", HUGE],
                                    ["9999-12-31T23:59:59-23:59", 1]])
async def test_a_forged_cursor_out_of_range_is_a_422_naming_it(client, key, inside):
    cursor = base64.urlsafe_b64encode(json.dumps(inside).encode()).decode().rstrip("=")
    body = problem(await client.get(f"/v1/documents?cursor={cursor}", headers=auth(key)), 422)
    assert problem_fields(body) == ["query:cursor"]


# --- 2. times at the calendar's ends ------------------------------------------------------------

@pytest.mark.parametrize("at", [
    "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
])
async def test_a_scan_at_the_calendars_end_is_refused_alone_and_the_handheld_scans_on(world, at):
    one = await submit(world.client, world.key, "END-1")
    two = await submit(world.client, world.key, "END-2")
    odd = {**scan_body(one, "receive", scan_id="odd"), "at": at}
    first = await upload(world.client, world.sorter, [odd, scan_body(two, "receive")])
    assert first[0]["scan_id"] == "odd"
    assert (first[0]["status"], first[0]["reason"]) == ("rejected", "implausible_time")
    assert first[1]["status"] == "applied"
    later = await upload(world.client, world.sorter, [scan_body(one, "receive")])
    assert later[0]["status"] == "applied" and not later[0].get("clock_flags")


async def test_a_scan_a_month_ahead_is_refused_and_one_two_days_late_is_kept_but_flagged(world):
    one = await submit(world.client, world.key, "SKEW-1")
    two = await submit(world.client, world.key, "SKEW-2")
    now = datetime.now(UTC)
    results = await upload(world.client, world.sorter, [
        scan_body(one, "receive", at=now + timedelta(days=31)),
        scan_body(two, "receive", at=now - timedelta(days=2))])
    assert (results[0]["status"], results[0]["reason"]) == ("rejected", "implausible_time")
    assert (results[1]["status"], results[1]["clock_flags"]) == ("applied", ["behind"])


@pytest.mark.parametrize(("url", "field"), [
    ("/v1/documents?updated_since=9999-12-31T23:59:59-23:59", "query:updated_since"),
    ("/v1/documents?updated_since=0001-01-01T00:00:00%2B23:59", "query:updated_since"),
    ("/v1/documents?updated_since=0001-01-01T00:00:00Z", "query:updated_since"),
])
async def test_a_query_time_outside_a_sane_range_is_a_422_naming_it(client, key, url, field):
    assert problem_fields(problem(await client.get(url, headers=auth(key)), 422)) == [field]


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31"])
async def test_an_anchor_range_outside_a_sane_range_is_a_422_naming_it(client, query):
    body = problem(await client.get(f"/v1/anchors?{query}"), 422)
    assert problem_fields(body) == [f"query:{query.split('=')[0]}"]


# --- 3. control characters ----------------------------------------------------------------------

async def test_a_nul_in_a_document_is_a_422_at_its_pointer_and_nothing_is_written(client, conn,
                                                                                  key):
    doc = document("NUL-1", name="Ahmed\u0000Ali")
    body = problem(await client.post("/v1/documents", json=doc, headers=auth(key)), 422)
    assert problem_fields(body) == ["/citizen/name"]
    assert await conn.fetchval("SELECT count(*) FROM items") == 0


async def test_a_nul_in_one_document_of_a_batch_rejects_that_document_alone(client, conn, key):
    batch = {"documents": [document("NUL-B0"), document("NUL-B1", name="Ahmed\u0000Ali"),
                           document("NUL-B2\u0000")]}
    response = await client.post("/v1/documents/batch", json=batch, headers=auth(key))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert results[1]["errors"][0]["field"] == "/documents/1/citizen/name"
    assert results[1]["external_ref"] == "NUL-B1"
    assert results[2]["errors"][0]["field"] == "/documents/2/external_ref"
    assert await conn.fetchval("SELECT count(*) FROM items") == 1


@pytest.mark.parametrize(("url", "payload", "field"), [
    ("/v1/auth/login", {"username": "a\u0000", "password": "x", "device_id": "d"}, "/username"),
    ("/v1/auth/login", {"username": "a", "password": "x", "device_id": "d\u001b"}, "/device_id"),
    ("/v1/ops/complaints/1/handled", {"note": "done\u0085"}, "/note"),
    ("/v1/supervisor/items/RR000000000IQ/lost", {"reason": "gone\u0000"}, "/reason"),
])
async def test_a_control_character_in_a_json_body_is_a_422_naming_it(client, admin, url,
                                                                      payload, field):
    body = problem(await client.post(url, json=payload, headers=admin), 422)
    assert problem_fields(body) == [field]


async def test_tab_and_newline_stay_allowed_in_free_text(client, admin):
    response = await client.post("/v1/supervisor/items/RR000000000IQ/lost",
                                 json={"reason": "lost\tin\nthe van"}, headers=admin)
    assert response.status_code == 404, response.text  # read, judged: no such item


@pytest.mark.parametrize(("url", "field"), [
    ("/v1/documents?external_ref=a%00b", "query:external_ref"),
    ("/v1/documents?branch=%C2%85", "query:branch"),
    ("/v1/documents/RR%00", "path:tracking_number"),
])
async def test_a_control_character_in_a_query_or_path_is_a_422_naming_it(client, key, url, field):
    assert problem_fields(problem(await client.get(url, headers=auth(key)), 422)) == [field]


async def test_a_nul_in_a_scan_refuses_that_scan_alone(world):
    one = await submit(world.client, world.key, "NUL-S1")
    two = await submit(world.client, world.key, "NUL-S2")
    results = await upload(world.client, world.sorter, [
        scan_body(one, "receive", scan_id="bad", note="x\u0000"), scan_body(two, "receive")])
    assert (results[0]["scan_id"], results[0]["reason"]) == ("bad", "unreadable")
    assert "/scans/0/note" in results[0]["error"]
    assert results[1]["status"] == "applied"


async def test_a_nul_in_a_scan_id_refuses_the_upload_naming_it(world):
    one = await submit(world.client, world.key, "NUL-S3")
    response = await world.client.post("/v1/scans", json={"scans": [
        scan_body(one, "receive", scan_id="id\u0000")]}, headers=world.sorter)
    assert problem_fields(problem(response, 422)) == ["/scans/0/scan_id"]


async def test_a_nul_in_the_citizens_address_form_is_a_422_naming_the_field(client, conn):
    token, item_id = await new_item(conn, state="received")
    before = (await item_row(conn, item_id))["district"]
    html = (await client.get(f"/t/{token}")).text
    response = await client.post(f"/t/{token}/location", data={
        "csrf": csrf_of(html), "district": "Mansour\u0000"}, follow_redirects=False)
    assert problem_fields(problem(response, 422)) == ["district"]
    assert (await item_row(conn, item_id))["district"] == before


# --- 4. bidi controls ---------------------------------------------------------------------------

async def test_bidi_overrides_are_removed_from_the_citizens_address(client, conn):
    token, item_id = await new_item(conn, state="received")
    status, _ = await form(client, token, "location", {
        "district": "Mansour", "mahalla": "\u202e605\u202c", "zuqaq": "\u206712\u2069",
        "house": "7\u200f", "landmark": "near the school"})
    assert status == 303
    row = await item_row(conn, item_id)
    # A right-to-left mark opens no embedding: Arabic keyboards type it around digits.
    assert (row["mahalla"], row["zuqaq"], row["house"]) == ("605", "12", "7\u200f")


async def test_bidi_overrides_are_removed_from_a_supervisors_reason(world, conn):
    tn = await submit(world.client, world.key, "BIDI-1")
    response = await world.client.post(f"/v1/supervisor/items/{tn}/lost", json={
        "reason": "bag \u202enepo nrot\u202c at the gate"}, headers=world.supervisor)
    assert response.status_code == 200, response.text
    payload = await conn.fetchval("SELECT payload FROM custody_events ORDER BY id DESC LIMIT 1")
    assert payload == {"reason": "bag nepo nrot at the gate"}


# --- 5-7. bodies that cannot be read as JSON ---------------------------------------------------

@pytest.mark.parametrize("url", ["/v1/documents", "/v1/documents/batch", "/v1/auth/login"])
async def test_a_body_that_is_not_utf8_is_a_400(client, key, url):
    response = await client.post(url, content=b'{"external_ref": "\xff\xfe"}', headers={
        **auth(key), "content-type": "application/json"})
    assert "UTF-8" in problem(response, 400)["detail"]


async def test_a_body_that_is_not_utf8_is_a_400_for_scans(world):
    response = await world.client.post("/v1/scans", content=b'{"scans": ["\xc0"]}', headers={
        **world.sorter, "content-type": "application/json"})
    problem(response, 400)


@pytest.mark.parametrize("depth", [50_000, 40])
async def test_json_nested_too_deep_is_a_400(client, key, depth):
    body = '{"documents": ' + "[" * depth + "]" * depth + "}"
    response = await client.post("/v1/documents/batch", content=body, headers={
        **auth(key), "content-type": "application/json"})
    assert "nested" in problem(response, 400)["detail"]


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded"])
async def test_json_sent_as_another_media_type_is_a_415(client, key, kind):
    content = json.dumps(document("PLAIN-1"))
    response = await client.post("/v1/documents", content=content, headers={
        **auth(key), "content-type": kind})
    problem(response, 415)
    login = await client.post("/v1/auth/login", content=json.dumps(
        {"username": "a", "password": "b", "device_id": "c"}), headers={"content-type": kind})
    problem(login, 415)


async def test_a_problem_json_media_type_is_still_json(client, key):
    response = await client.post("/v1/documents", content=json.dumps(document("VND-1")),
                                 headers={**auth(key), "content-type": "application/vnd.x+json"})
    assert response.status_code == 201, response.text


async def test_a_key_sent_twice_is_a_422_naming_it(client, conn, key):
    content = json.dumps(document("TWICE-1"))[:-1] + ', "external_ref": "TWICE-2"}'
    body = problem(await client.post("/v1/documents", content=content, headers={
        **auth(key), "content-type": "application/json"}), 422)
    assert problem_fields(body) == ["/external_ref"]
    assert await conn.fetchval("SELECT count(*) FROM items") == 0


async def test_a_handheld_whose_last_time_was_stored_as_infinity_scans_on(world, conn):
    one = await submit(world.client, world.key, "INF-1")
    await upload(world.client, world.sorter, [scan_body(one, "receive")])
    await conn.execute("UPDATE devices SET last_device_at = 'infinity' WHERE device_id = $1",
                       world.sorter["X-Device-Id"])
    two = await submit(world.client, world.key, "INF-2")
    results = await upload(world.client, world.sorter, [scan_body(two, "receive")])
    assert results[0]["status"] == "applied"
