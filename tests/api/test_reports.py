"""An agency's reports, against a day whose answers are known: items delivered after a known
number of hours, attempts failed with reasons, items sent back for three different reasons, one
never touched; another agency's delivered item that must never show."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from delivery.custody import tasks
from delivery.custody.context import custody_context
from delivery.reports.model import CSV_COLUMNS, local_day
from tests.custody_world import (
    applied,
    build_world,
    last4,
    last_code,
    state_of,
    submit,
    to_branch,
)
from tests.helpers import auth, create_agency, problem, problem_fields

pytestmark = pytest.mark.usefixtures("demo_sites")

# Hours from registration to the door, for the four items delivered.
DELIVERED_AFTER = {"D-1": 10, "D-2": 30, "D-3": 50, "D-4": 100}


class Day:
    """The generated day: tracking numbers by reference, the world that made them."""

    def __init__(self, world, tns: dict[str, str], other_key: str, other_tn: str) -> None:
        self.world, self.tns, self.other_key, self.other_tn = world, tns, other_key, other_tn

    async def get(self, path: str, key: str | None = None):
        return await self.world.client.get(path, headers=auth(key or self.world.key))


async def _deliver(world, conn, tn: str) -> None:
    await applied(world.client, world.courier, tn, "deliver", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn))


async def _to_door(world, tn: str) -> None:
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    await applied(world.client, world.courier, tn, "take")


async def _fail_and_bring_back(world, tn: str, reason: str) -> None:
    await _to_door(world, tn)
    await applied(world.client, world.courier, tn, "fail", reason=reason)
    await applied(world.client, world.courier, tn, "return")
    await applied(world.client, world.clerk, tn, "accept")


@pytest.fixture
async def day(client, conn, settings) -> Day:
    world = await build_world(client, conn)
    tns = {ref: await submit(client, world.key, ref) for ref in
           (*DELIVERED_AFTER, "F-1", "E-1", "H-1", "C-1")}
    await applied(client, world.sorter, tns["C-1"], "receive")
    cancelled = await client.post(f"/v1/documents/{tns['C-1']}/cancel", headers=auth(world.key))
    assert cancelled.status_code == 200, cancelled.text
    await to_branch(world, [tn for ref, tn in tns.items() if ref != "C-1"])
    for ref in DELIVERED_AFTER:
        await _to_door(world, tns[ref])
        await _deliver(world, conn, tns[ref])
    # F-1: absent, then refused at the door: on its way back at once.
    await _fail_and_bring_back(world, tns["F-1"], "absent")
    await _to_door(world, tns["F-1"])
    await applied(client, world.courier, tns["F-1"], "fail", reason="refused")
    # E-1: absent twice (the most allowed), offered for pickup, never collected.
    for _ in range(2):
        await _fail_and_bring_back(world, tns["E-1"], "absent")
    ctx = custody_context(settings)
    assert await tasks.exhaust_attempts(conn, ctx, now=datetime.now(UTC)) == 1
    # H-1: shelved for pickup, never collected.
    await applied(client, world.clerk, tns["H-1"], "shelve")
    assert await tasks.expire_holds(conn, ctx, now=datetime.now(UTC) + timedelta(days=90)) == 2
    for ref, hours in DELIVERED_AFTER.items():  # registered that many hours before the door
        await conn.execute(
            "UPDATE items i SET created_at = e.server_at - make_interval(hours => $2) "
            "FROM custody_events e WHERE e.item_id = i.id AND e.action = 'deliver' "
            "AND i.tracking_number = $1", tns[ref], hours)
    other_key = await create_agency(conn, "MOHE-DIPLOMAS")
    other_tn = await submit(client, other_key, "D-1")
    return Day(world, tns, other_key, other_tn)


def _range() -> str:
    today = local_day(datetime.now(UTC))
    return f"from={today - timedelta(days=10)}&to={today}"


async def test_summary_counts_states_hand_over_times_failures_and_returns(day, conn):
    assert await state_of(conn, day.tns["F-1"]) == "returning"  # refused at the door
    response = await day.get(f"/v1/reports/summary?{_range()}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Asia/Baghdad" and body["group_by"] is None
    [group] = body["groups"]
    assert group["key"] is None
    assert group["items"] == 9  # with the world's own probe, never moved
    assert group["by_state"] == {"delivered": 4, "returning": 4, "registered": 1}
    assert group["handed_over"] == {"count": 4,
                                    "within_days": {"1": 1, "3": 3, "7": 4, "14": 4},
                                    "median_hours": 40.0, "p90_hours": 85.0}
    assert group["failed_attempts"] == 4
    assert group["failed_attempts_by_reason"] == {"absent": 3, "refused": 1}
    assert group["returns"] == 4
    assert group["returns_by_reason"] == {"refused": 1, "recalled": 1, "hold_expired": 1,
                                          "unreachable": 1}


async def test_summary_by_day_and_branch_splits_the_same_items(day, conn):
    by_day = (await day.get(f"/v1/reports/summary?{_range()}&group_by=day")).json()
    days = [g["key"] for g in by_day["groups"]]
    assert days == sorted(days) and len(days) >= 2  # D-4 was registered 100 hours earlier
    assert sum(g["items"] for g in by_day["groups"]) == 9
    assert sum(g["handed_over"]["count"] for g in by_day["groups"]) == 4
    by_branch = (await day.get(f"/v1/reports/summary?{_range()}&group_by=branch")).json()
    assert [(g["key"], g["items"]) for g in by_branch["groups"]] == [(day.world.branch, 9)]


async def test_summary_of_a_period_before_anything_was_registered_is_empty(day):
    response = await day.get("/v1/reports/summary?from=2025-01-01&to=2025-01-31")
    assert response.status_code == 200
    assert response.json()["groups"] == []


async def test_csv_has_one_row_per_item_with_its_story_and_arabic_survives(day, conn):
    response = await day.get(f"/v1/reports/items.csv?{_range()}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_ref = {r["external_ref"]: r for r in rows}
    assert set(by_ref) == {*day.tns, "PROBE"}
    name_ar = await conn.fetchval("SELECT name_ar FROM sites WHERE code = $1", day.world.branch)
    assert any("\u0600" <= ch <= "\u06ff" for ch in name_ar)
    f1, e1, d4 = by_ref["F-1"], by_ref["E-1"], by_ref["D-4"]
    assert (f1["state"], f1["attempts"], f1["last_failure_reason"], f1["return_reason"]) == (
        "returning", "2", "refused", "refused")
    assert (f1["branch"], f1["branch_name"]) == (day.world.branch, name_ar)
    assert (e1["state"], e1["return_reason"], e1["attempts"]) == (
        "returning", "unreachable", "2")
    assert by_ref["C-1"]["return_reason"] == "recalled"
    assert by_ref["H-1"]["return_reason"] == "hold_expired"
    handed = datetime.fromisoformat(d4["handed_over_at"])
    registered = datetime.fromisoformat(d4["registered_at"])
    assert handed - registered == timedelta(hours=100)
    assert handed.utcoffset() == timedelta(hours=3)  # Asia/Baghdad
    assert (d4["state"], d4["attempts"], d4["last_failure_reason"]) == ("delivered", "1", "")


async def test_csv_keeps_only_the_states_asked_for(day):
    response = await day.get(f"/v1/reports/items.csv?{_range()}&state=returning,delivery_failed")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert sorted(r["external_ref"] for r in rows) == ["C-1", "E-1", "F-1", "H-1"]


async def test_json_pages_follow_the_cursor_to_the_same_rows_as_the_csv(day):
    csv_rows = list(csv.DictReader(io.StringIO(
        (await day.get(f"/v1/reports/items.csv?{_range()}")).content.decode("utf-8-sig"),
        newline="")))
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/v1/reports/items?{_range()}&limit=4" + (f"&cursor={cursor}" if cursor else "")
        response = await day.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [i["tracking_number"] for i in seen] == [r["tracking_number"] for r in csv_rows]
    d2 = next(i for i in seen if i["external_ref"] == "D-2")
    assert d2["handed_over_at"] is not None and d2["attempts"] == 1


async def test_another_agencys_items_never_appear(day):
    ours = await day.get(f"/v1/reports/items.csv?{_range()}")
    assert day.other_tn not in ours.text
    theirs = await day.get(f"/v1/reports/items.csv?{_range()}", key=day.other_key)
    rows = list(csv.DictReader(io.StringIO(theirs.content.decode("utf-8-sig"), newline="")))
    assert [r["tracking_number"] for r in rows] == [day.other_tn]
    summary = (await day.get(f"/v1/reports/summary?{_range()}", key=day.other_key)).json()
    assert [g["items"] for g in summary["groups"]] == [1]
    page = (await day.get(f"/v1/reports/items?{_range()}", key=day.other_key)).json()
    assert [i["tracking_number"] for i in page["items"]] == [day.other_tn]


async def test_reports_need_an_agency_key(client):
    for path in ("/v1/reports/summary", "/v1/reports/items", "/v1/reports/items.csv"):
        assert (await client.get(path)).status_code == 401


@pytest.mark.parametrize(("query", "field"), [
    ("group_by=courier", "query:group_by"),
    ("colour=red", "query:colour"),
    ("from=2026-13-01", "query:from"),
    ("from=2026-03-10&to=2026-03-01", "query:from"),
    ("from=2024-01-01&to=2026-03-01", "query:from"),
])
async def test_summary_refuses_what_it_does_not_know_naming_it(client, conn, query, field):
    key = await create_agency(conn, "MOI-PASSPORTS")
    body = problem(await client.get(f"/v1/reports/summary?{query}", headers=auth(key)), 422)
    assert field in problem_fields(body)


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/reports/items.csv?state=posted", "query:state"),
    ("/v1/reports/items.csv?group_by=day", "query:group_by"),
    ("/v1/reports/items?state=delivered,gone", "query:state"),
    ("/v1/reports/items?cursor=not-a-cursor", "query:cursor"),
    ("/v1/reports/items?limit=0", "query:limit"),
])
async def test_items_refuse_what_they_do_not_know_naming_it(client, conn, path, field):
    key = await create_agency(conn, "MOI-PASSPORTS")
    body = problem(await client.get(path, headers=auth(key)), 422)
    assert field in problem_fields(body)
