"""An agency's reports over a year of 1,000,000 items, against a bare `count(*)` of the same rows.

    uv run python benchmarks/reports.py [--items 1000000] [--repeats 3]

Needs DATABASE_URL and REDIS_URL (a server on which it may create the database
`tasheel_bench_reports`). The year is written by SQL (`generate_series`): items of one agency
registered evenly through 2025, in ten journeys mixed as a real year would be (delivered at the
door, collected, delivered after a failure, failed, sent back after the hold, after the attempts,
cancelled, out for delivery, registered), with their custody events and failure reasons: about
7 events an item. The events carry no real hashes (the chain is not what is measured).

It starts `tasheel serve --no-worker` in a subprocess and times, through HTTP, the year's
summary, the same grouped by document type and by day, and the whole CSV read to its end (with
the server's resident memory before and after). The baseline, in the same run, is
`SELECT count(*)` of the same items on the index the reports use. Each figure is the median of
`--repeats` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.support import database_url, free_port, fresh_database, serve
from delivery.agencies.services import create_agency

BENCH_DB = "tasheel_bench_reports"
FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)
BAGHDAD = ZoneInfo("Asia/Baghdad")

# The journeys, as (journey, seq, action, from_state, to_state, event_code, has_reason); an
# item (its id is its number in the year) follows journey `id % 20` mapped through JOURNEY_OF.
_STEPS = {
    "door": ["register", "receive", "dispatch", "arrive", "to_courier", "take", "deliver"],
    "counter": ["register", "receive", "dispatch", "arrive", "shelve", "collect"],
    "second_try": ["register", "receive", "dispatch", "arrive", "to_courier", "take", "fail",
                   "return", "accept", "to_courier", "take", "deliver"],
    "failed": ["register", "receive", "dispatch", "arrive", "to_courier", "take", "fail"],
    "hold": ["register", "receive", "dispatch", "arrive", "shelve", "expire_hold", "send_back",
             "accept@centre", "returned"],
    "exhausted": ["register", "receive", "dispatch", "arrive", "to_courier", "take", "fail",
                  "return", "accept", "to_courier", "take", "fail", "return", "accept",
                  "max_attempts", "expire_hold"],
    "cancelled": ["register", "receive", "cancel"],
    "on_the_way": ["register", "receive", "dispatch", "arrive", "to_courier", "take"],
    "waiting": ["register"],
}
_MOVES = {  # action → (to_state, event_code); from_state is the previous step's to_state
    "register": ("registered", "registered"), "receive": ("received", "received"),
    "dispatch": ("in_transit", "dispatched"), "arrive": ("at_branch", "arrived"),
    "to_courier": ("out_for_delivery", "handed_to_courier"),
    "take": ("out_for_delivery", "taken"), "deliver": ("delivered", "delivered"),
    "fail": ("delivery_failed", "delivery_failed"), "return": ("at_branch", "returned_to_branch"),
    "accept": ("at_branch", "accepted"), "shelve": ("ready_for_pickup", "shelved"),
    "collect": ("collected", "collected"), "expire_hold": ("returning", "hold_expired"),
    "send_back": ("returning", "sent_back"), "accept@centre": ("returning", "accepted"),
    "returned": ("returned_to_agency", "returned_to_agency"),
    "max_attempts": ("ready_for_pickup", "attempts_exhausted"),
    "cancel": ("returning", "cancelled"),
}
JOURNEY_OF = (["door"] * 9 + ["counter"] * 3 + ["second_try"] * 2
              + ["failed", "hold", "exhausted", "cancelled", "on_the_way", "waiting"])
REASONS = ["absent", "address_not_found", "refused", "unsafe", "wrong_person"]

_SCRIPT = """
CREATE TEMP TABLE script (slot int, seq int, action text, from_state text, to_state text,
                          event_code text, final bool)
"""
_ITEMS = """
INSERT INTO items (id, tracking_number, agency_id, external_ref, fingerprint, comparable,
    document_type, state, citizen_name, citizen_phone, governorate, district, delivery_mode,
    branch_id, assignment_rule, token_hash, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT g, 'BN' || lpad(g::text, 9, '0') || 'IQ', $1, 'REF-' || g, '\\x00', '{}',
       (ARRAY['passport', 'national_id', 'residence_card'])[1 + g % 3],
       (SELECT to_state FROM script WHERE slot = g % 20 AND final),
       'مواطن ' || g, '+964770' || lpad((g % 10000000)::text, 7, '0'), b.governorate,
       'District', 'home', b.id, 'area', decode(md5(g::text), 'hex'),
       $2::timestamptz + (g - 1) * $3::interval, $2::timestamptz + (g - 1) * $3::interval
FROM generate_series(1, $4) AS g
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, governorate FROM sites
      WHERE kind = 'branch') b ON b.n = g % (SELECT count(*) FROM sites WHERE kind = 'branch')
"""
_EVENTS = """
INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, actor_role,
    server_at, payload, prev_hash, hash, hash_version)
SELECT i.id, s.seq, s.action, s.from_state, s.to_state, s.event_code, 'system',
       i.created_at + s.seq * make_interval(hours => 1 + (i.id % 11)::int * 3),
       CASE WHEN s.action = 'fail'
            THEN jsonb_build_object('reason', ($2::text[])[1 + (i.id + s.seq) % 5])
            ELSE '{}' END,
       '\\x00', '\\x00', 1
FROM items i JOIN script s ON s.slot = i.id % 20
WHERE i.agency_id = $1
"""
BASELINE = """
SELECT count(*) FROM items WHERE agency_id = $1 AND created_at >= $2 AND created_at < $3
"""


def _script_rows() -> list[tuple]:
    rows = []
    for slot, journey in enumerate(JOURNEY_OF):
        state = None
        steps = _STEPS[journey]
        for seq, step in enumerate(steps, start=1):
            to_state, code = _MOVES[step]
            rows.append((slot, seq, step.split("@")[0], state, to_state, code,
                         seq == len(steps)))
            state = to_state
    return rows


async def _year(base_url: str, n: int) -> tuple[str, str, int]:
    conn = await fresh_database(base_url, BENCH_DB)
    agency, key = await create_agency(conn, code="BENCH", name="Benchmark agency")
    agency_id = agency.id
    await conn.execute(_SCRIPT)
    await conn.copy_records_to_table("script", records=_script_rows())
    start = datetime.combine(FIRST, clock(), BAGHDAD)
    step = (datetime.combine(LAST, clock(), BAGHDAD) - start) / n
    started = time.perf_counter()
    await conn.execute(_ITEMS, agency_id, start, step, n)
    await conn.execute(_EVENTS, agency_id, REASONS)
    await conn.execute("ANALYZE items; ANALYZE custody_events")
    events = await conn.fetchval("SELECT count(*) FROM custody_events")
    print(f"generated {n:,} items and {events:,} custody events in "
          f"{time.perf_counter() - started:,.0f} s", flush=True)
    await conn.close()
    return database_url(base_url, BENCH_DB), key, agency_id


async def _baseline(url: str, agency_id: int, repeats: int) -> float:
    conn = await asyncpg.connect(url)
    bounds = (datetime.combine(FIRST, clock(), BAGHDAD),
              datetime.combine(date(2026, 1, 1), clock(), BAGHDAD))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await conn.fetchval(BASELINE, agency_id, *bounds)
        times.append(time.perf_counter() - started)
    await conn.close()
    return statistics.median(times)


def _timed_get(client: httpx.Client, path: str, repeats: int) -> tuple[float, httpx.Response]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:300]
    return statistics.median(times), response


def _timed_csv(client: httpx.Client, path: str, repeats: int) -> tuple[float, float, int]:
    """Median seconds to the whole CSV, median seconds to its first bytes, rows."""
    totals, firsts, rows = [], [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        first = None
        rows = 0
        with client.stream("GET", path) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                first = first or time.perf_counter() - started
                rows += chunk.count(b"\n")
        totals.append(time.perf_counter() - started)
        firsts.append(first or 0.0)
    return statistics.median(totals), statistics.median(firsts), rows - 1


def _rss_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak, MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    url, key, agency_id = asyncio.run(_year(base, args.items))
    baseline = asyncio.run(_baseline(url, agency_id, args.repeats))
    port = free_port()
    server = serve(url, port)
    period = f"from={FIRST}&to={LAST}"
    figures = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1800,
                          headers={"Authorization": f"Bearer {key}"}) as client:
            for label, query in (("summary, a year", ""),
                                 ("summary, a year by document type", "&group_by=document_type"),
                                 ("summary, a year by day", "&group_by=day")):
                seconds, response = _timed_get(client, f"/v1/reports/summary?{period}{query}",
                                               args.repeats)
                counted = sum(g["items"] for g in response.json()["groups"])
                assert counted == args.items, counted
                figures.append((label, seconds))
            seconds, response = _timed_get(client, f"/v1/reports/items?{period}&limit=1000",
                                           args.repeats)
            figures.append(("items, first JSON page of 1,000", seconds))
            before = _rss_mb(server.pid)
            total, first, rows = _timed_csv(client, f"/v1/reports/items.csv?{period}",
                                            args.repeats)
            after = _rss_mb(server.pid)
            assert rows == args.items, rows
            figures.append((f"items.csv, all {rows:,} rows", total))
            figures.append(("items.csv, first bytes", first))
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"{'request':<44}{'seconds':>10}{'vs count(*)':>13}")
    print(f"{'SELECT count(*) of the year (baseline)':<44}{baseline:>10.3f}{1:>13.1f}")
    for label, seconds in figures:
        print(f"{label:<44}{seconds:>10.3f}{seconds / baseline:>13.1f}")
    print(f"server memory (MB) before the CSVs: {before[0]:.0f} resident; after: "
          f"{after[0]:.0f} resident, {after[1]:.0f} peak")


if __name__ == "__main__":
    main()
