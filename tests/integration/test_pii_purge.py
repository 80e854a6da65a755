"""Personal data of items finished long ago is removed; the custody chain and the answers stay."""

import asyncio
import re
from datetime import UTC, datetime

import asyncpg
import msgspec
import pytest
from click.testing import CliRunner

from delivery.cli import main
from tests.custody_world import applied, build_world, last4, last_code, out_for_delivery
from tests.helpers import auth, document

pytestmark = pytest.mark.usefixtures("demo_sites")

NAME, PHONE, NATIONAL_ID = "Zaynab Qasim Fadhil", "07709876543", "198811223344"
ADDRESS = "mahalla 915, zuqaq 44, house 71"
# what must not be left anywhere once the item is purged
PURGED = ["Zaynab", "Fadhil", "7709876543", NATIONAL_ID, "mahalla 915", "zuqaq 44",
          "Hurriya school", "Ghazaliya", "ask for Umm Ali"]


def _citizen(ref: str) -> dict:
    return document(ref, name=NAME, phone=PHONE, national_id=NATIONAL_ID, address_text=ADDRESS)


async def _token(conn, tn: str) -> str:
    """The tracking token, as the citizen has it from the SMS link."""
    return await conn.fetchval(
        "SELECT o.payload->'values'->>'token' FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE i.tracking_number = $1 AND o.payload->'values' ? 'token' LIMIT 1", tn)


async def _form(client, token: str, path: str, fields: dict) -> None:
    html = (await client.get(f"/t/{token}")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    response = await client.post(f"/t/{token}/{path}", data={"csrf": csrf, **fields},
                                 follow_redirects=False)
    assert response.status_code == 303, response.text


async def _delivered(world, ref: str, *, with_citizen_data: bool = False) -> tuple[str, str]:
    """An item submitted with the citizen's data and delivered; (tracking number, token)."""
    response = await world.client.post("/v1/documents", json=_citizen(ref),
                                       headers=auth(world.key) | {"Idempotency-Key": f"k-{ref}"})
    assert response.status_code == 201, response.text
    tn = response.json()["tracking_number"]
    token = await _token(world.conn, tn)
    if with_citizen_data:
        await _form(world.client, token, "location", {
            "district": "Ghazaliya", "mahalla": "915", "zuqaq": "44", "house": "71",
            "landmark": "near the Hurriya school, ask for Umm Ali"})
    await out_for_delivery(world, tn)
    await applied(world.client, world.courier, tn, "deliver", otp=await last_code(world.conn, tn),
                  id_last4=await last4(world.conn, tn), location={"lat": 33.31, "lon": 44.36})
    if with_citizen_data:
        await _form(world.client, token, "report", {
            "asked": "yes", "complaint": f"he wanted money, call {NAME} on {PHONE}"})
    return tn, token


async def _age(conn, tn: str, days: int) -> None:
    await conn.execute("UPDATE items SET updated_at = now() - make_interval(days => $2) "
                       "WHERE tracking_number = $1", tn, days)


async def _where(conn, needles: list[str]) -> set[str]:
    """Every table.column holding one of `needles`, over every text, JSON and array column of
    every table (and the stored idempotent answers, JSON kept as bytes)."""
    columns = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND (data_type IN ('text', 'jsonb', 'json', "
        "'character varying', 'ARRAY') OR (table_name, column_name) = "
        "('idempotency_keys', 'response'))")
    found = set()
    for c in columns:
        column = f'"{c["column_name"]}"'
        if c["data_type"] == "bytea":
            column = f"convert_from({column}, 'UTF8')"
        for needle in needles:
            if await conn.fetchval(f'SELECT count(*) FROM "{c["table_name"]}" '
                                   f"WHERE {column}::text ILIKE $1", f"%{needle}%"):
                found.add(f"{c['table_name']}.{c['column_name']}")
    return found


def _purge(settings, *args: str):
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "TASHEEL_SECRET_KEY": "test-secret", "PII_RETENTION_DAYS": "365"}
    return CliRunner().invoke(main, ["purge-personal-data", *args], env=env)


def _verify(settings, *args: str):
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "TASHEEL_SECRET_KEY": "test-secret"}
    return CliRunner().invoke(main, ["verify-custody", *args], env=env)


async def test_personal_data_of_items_finished_long_ago_is_removed_everywhere(client, conn,
                                                                             settings):
    world = await build_world(client, conn)
    old, _ = await _delivered(world, "OLD-1", with_citizen_data=True)
    assert {"items.citizen_name", "items.landmark", "citizen_reports.complaint"} <= await _where(
        conn, PURGED)  # the scan finds the data where it is before the purge
    await _age(conn, old, 400)
    result = await asyncio.to_thread(_purge, settings)
    assert result.exit_code == 0, result.output
    assert "1 item" in result.output
    assert await _where(conn, PURGED) == set()
    verified = await asyncio.to_thread(_verify, settings)
    assert verified.exit_code == 0, verified.output


async def test_a_dry_run_counts_and_changes_nothing(client, conn, settings):
    world = await build_world(client, conn)
    old, _ = await _delivered(world, "OLD-1")
    await _age(conn, old, 400)
    result = await asyncio.to_thread(_purge, settings, "--dry-run")
    assert result.exit_code == 0 and "1 item" in result.output, result.output
    assert await conn.fetchval("SELECT citizen_name FROM items WHERE tracking_number = $1",
                               old) == NAME


async def test_unfinished_and_recently_finished_items_keep_their_data(client, conn, settings):
    world = await build_world(client, conn)
    recent, _ = await _delivered(world, "NEW-1")
    await _age(conn, recent, 300)
    response = await client.post("/v1/documents", json=_citizen("OPEN-1"), headers=auth(world.key))
    waiting = response.json()["tracking_number"]
    await _age(conn, waiting, 800)
    result = await asyncio.to_thread(_purge, settings)
    assert result.exit_code == 0 and "0 items" in result.output, result.output
    rows = await conn.fetch("SELECT citizen_name, citizen_phone, address_text FROM items "
                            "WHERE tracking_number = ANY($1)", [recent, waiting])
    assert {tuple(r) for r in rows} == {(NAME, "+964" + PHONE[1:], ADDRESS)}


async def test_a_purged_item_still_answers_its_agency_and_its_citizen(client, conn, settings):
    world = await build_world(client, conn)
    old, token = await _delivered(world, "OLD-1", with_citizen_data=True)
    await _age(conn, old, 400)
    assert (await asyncio.to_thread(_purge, settings)).exit_code == 0
    agency = await client.get(f"/v1/documents/{old}", headers=auth(world.key))
    assert agency.status_code == 200, agency.text
    body = agency.json()
    assert body["state"] == "delivered" and body["external_ref"] == "OLD-1"
    assert body["personal_data_removed_at"] and body["citizen"]["name"] == ""
    assert not any(v in agency.text for v in PURGED)
    listed = await client.get("/v1/documents?external_ref=OLD-1", headers=auth(world.key))
    assert listed.status_code == 200, listed.text
    tracked = await client.get(f"/v1/track/{token}")
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["state"]["code"] == "delivered"
    assert tracked.json()["personal_data_removed"]["date"]
    assert not tracked.json()["choices"]["report"]
    page = await client.get(f"/t/{token}?lang=en")
    assert page.status_code == 200 and "personal data was removed" in page.text
    assert not any(v in page.text for v in PURGED)


async def test_the_daily_job_purges_with_the_configured_retention(client, conn, settings):
    from delivery.privacy.tasks import purge_personal_data_job

    world = await build_world(client, conn)
    old, _ = await _delivered(world, "OLD-1")
    await _age(conn, old, 40)
    short = msgspec.structs.replace(settings, pii_retention_days=30)
    async with asyncpg.create_pool(settings.database_url, min_size=1, max_size=1) as p:
        assert await purge_personal_data_job({"settings": short, "pool": p}) == 1
    assert await conn.fetchval("SELECT citizen_name FROM items WHERE tracking_number = $1",
                               old) is None


async def test_a_purged_items_route_stop_keeps_only_a_rough_point(client, conn, settings):
    world = await build_world(client, conn)
    old, _ = await _delivered(world, "OLD-1")
    item_id, courier = await conn.fetchrow(
        "SELECT i.id, s.id FROM items i, staff s WHERE i.tracking_number = $1 "
        "AND s.username = 'courier'", old)
    # the stop the morning plan gave the courier for this household (setup: no solver run)
    plan = await conn.fetchval(
        "INSERT INTO route_plans (branch_id, day, version, trigger, inputs_digest, travel_source,"
        " total_distance_m, total_duration_s, items_routed, items_left_out) SELECT id,"
        " current_date, 1, 'cli', '\\x00', 'haversine', 0, 0, 1, 0 FROM sites WHERE code = $1 "
        "RETURNING id", world.branch)
    await conn.execute(
        "INSERT INTO route_stops (plan_id, courier_id, seq, item_ids, lat, lon, window_start, "
        "window_end, service_s, arrival_at, departure_at) VALUES ($1, $2, 1, $3, 33.312345, "
        "44.361234, now(), now(), 300, now(), now())", plan, courier, [item_id])
    await _age(conn, old, 400)
    assert (await asyncio.to_thread(_purge, settings)).exit_code == 0
    stop = await conn.fetchrow("SELECT lat, lon FROM route_stops WHERE plan_id = $1", plan)
    assert (stop["lat"], stop["lon"]) == (33.31, 44.36)


async def test_the_purge_works_through_several_batches(client, conn, settings):
    from delivery.privacy.services import purge

    world = await build_world(client, conn)
    recalled = []
    for n in range(5):
        response = await client.post("/v1/documents", json=_citizen(f"CX-{n}"),
                                     headers=auth(world.key))
        tn = response.json()["tracking_number"]
        cancel = await client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
        assert cancel.status_code == 200, cancel.text
        await _age(conn, tn, 400)
        recalled.append(tn)
    assert await purge(conn, retention_days=365, now=datetime.now(UTC), batch=2) == 5
    assert await conn.fetchval("SELECT count(*) FROM items WHERE tracking_number = ANY($1) "
                               "AND pii_purged_at IS NOT NULL AND citizen_name IS NULL",
                               recalled) == 5
