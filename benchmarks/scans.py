"""Applied scans per second through `POST /v1/scans`, and single-scan latency at a fixed rate,
against a bare UPDATE + INSERT loop in PostgreSQL doing the same writes, in the same run.

    uv run python benchmarks/scans.py [--batches-100 20] [--batches-500 6] [--single-s 10]
        [--mixed-items 2000] [--couriers 4] [--only receive|single|mixed]

Needs DATABASE_URL and REDIS_URL (a server on which it may create `tasheel_bench_scans`).
It starts `tasheel serve --no-worker` in a subprocess. The receive-only figures are `receive`
scans of registered items by a sorting clerk: a conditional UPDATE of the item, a chained
custody event, a webhook outbox row and the stored scan result. The baseline runs, per item,
the UPDATE and the INSERTs of the event and outbox row (hash computed the same way), one
transaction per batch.

Batches are sent one after another by one client. Single scans come from an open-loop generator
in a process of its own (`support.open_loop`): pre-encoded requests sent on schedule over
keep-alive connections whatever the replies, each reply checked (200, the scan `applied`), and
latency counted from the scheduled send, so a stall shows in full instead of slowing the sender.

The mixed upload is a day of handhelds at one branch (`DAY_BRANCH`), phase after phase, each
member of staff uploading their scans in batches of up to 500: the sorting clerk receives the
documents, bags them (bags opened with `POST /v1/bags`) and dispatches the bags; the branch
clerk records the bags' arrival, confirms each item, shelves the pickup ones and hands the
others to the couriers; each courier takes theirs, delivers them with the citizen's one-time
code and ID digits or records why not, and returns the failed ones, which the clerk accepts
and shelves (those refused at the door, or by the wrong person, the branch sends back and the
sorting centre hands back to the agency); citizens then collect at the counter with their
codes. Its figure is the scans applied over the time spent in those uploads alone (not
registering, logging in, opening bags or reading the codes); every scan should be applied, and
those that are not are counted by reason. A bag's dispatch or arrival counts as one scan
however many items it moves (the item moves per second are printed too). The documents all
belong to one branch, with `--couriers` sharing its home deliveries, so that every member of
staff's uploads come near 500 scans.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import math
import multiprocessing
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.intake import _documents  # noqa: E402
from benchmarks.support import (  # noqa: E402
    OpenLoopRun,
    database_url,
    free_port,
    fresh_database,
    open_loop,
    serve,
)
from delivery.agencies.services import create_agency  # noqa: E402
from delivery.custody import chain  # noqa: E402
from delivery.custody.model import SENT_BACK_AT_ONCE  # noqa: E402
from delivery.demo import cast  # noqa: E402
from delivery.platform import db  # noqa: E402
from delivery.sites.geo import HALABJA_CODE  # noqa: E402
from delivery.staff.services import create_staff  # noqa: E402
from routing.demo_areas import demo_areas, demo_branches  # noqa: E402

BENCH_DB = "tasheel_bench_scans"
PASSWORD = "benchmark password"
MAX_UPLOAD = 500  # scans per upload, the API's limit
DAY_BRANCH = cast.BRANCH  # the demo Mansour branch, fed by the Baghdad sorting centre
BAG_SIZE = 100  # documents per bag from the sorting centre to the branch
PICKUP_SHARE = 0.2  # citizens who chose to collect at the counter
FAIL_SHARE = 0.1  # home deliveries where the courier could not hand the document over
FAILURES = {"absent": 50, "address_not_found": 20, "refused": 10, "unsafe": 5,
            "wrong_person": 5, "other": 10}  # reasons, weighted
AGENCY_SIGNATURE = {"name": "Zainab Kareem", "id_last4": "4321"}  # who takes returns back
DAY_TYPES = ("passport", "passport", "passport", "national_id", "driving_licence")


async def _fresh_database(base_url: str, couriers: int) -> tuple[str, str]:
    conn = await fresh_database(base_url, BENCH_DB)
    url = database_url(base_url, BENCH_DB)
    _, key = await create_agency(conn, code="BENCH", name="Benchmark agency")
    await create_staff(conn, username="sorter", password=PASSWORD, role="sorting_clerk",
                       site_code=cast.CENTRE)
    await create_staff(conn, username="clerk", password=PASSWORD, role="branch_clerk",
                       site_code=DAY_BRANCH)
    for name in _couriers(couriers):
        await create_staff(conn, username=name, password=PASSWORD, role="courier",
                           site_code=DAY_BRANCH)
    await conn.close()
    return url, key


def _register(client: httpx.Client, key: str, n: int, prefix: str) -> list[str]:
    return [tn for start in range(0, n, 5_000) for tn in _hand_over(
        client, key, _documents(f"{prefix}{start}", min(5_000, n - start)))]


def _hand_over(client: httpx.Client, key: str, documents: list[dict]) -> list[str]:
    """The tracking numbers of documents handed over in one batch (all must be accepted)."""
    response = client.post("/v1/documents/batch", content=msgspec.json.encode(
        {"documents": documents}), headers={"Authorization": f"Bearer {key}",
                                            "Content-Type": "application/json"})
    results = response.json()["results"]
    assert all(r["status"] == "accepted" for r in results), results[:2]
    return [r["tracking_number"] for r in results]


def _login(client: httpx.Client, username: str = "sorter",
           device: str = "bench") -> dict[str, str]:
    while (response := client.post("/v1/auth/login", json={
            "username": username, "password": PASSWORD, "device_id": device})).status_code == 429:
        # Logins from one address are limited (30 in 5 minutes) and this server's Redis may be
        # shared: waiting is setup time, never measured.
        wait = int(response.headers.get("Retry-After", "10"))
        print(f"login of {username} rate-limited: waiting {wait} s", flush=True)
        time.sleep(wait)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}", "X-Device-Id": device}


def _scans(tns: list[str], tag: str) -> list[dict]:
    at = datetime.now(UTC).isoformat()
    return [{"scan_id": f"{tag}-{tn}", "code": tn, "action": "receive", "at": at} for tn in tns]


def _batched(client: httpx.Client, headers: dict, tns: list[str], size: int) -> float:
    """Applied scans per second over sequential batches of `size`."""
    bodies = [msgspec.json.encode({"scans": _scans(tns[i:i + size], "b")})
              for i in range(0, len(tns), size)]
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/v1/scans", content=body,
                               headers={**headers, "Content-Type": "application/json"})
        results = response.json()["results"]
        assert all(r["status"] == "applied" for r in results), results[:2]
    return len(tns) / (time.perf_counter() - started)


def _requests(port: int, headers: dict, tns: list[str]) -> list[bytes]:
    """One pre-encoded HTTP/1.1 request per single-scan upload."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = []
    for tn in tns:
        body = msgspec.json.encode({"scans": _scans([tn], "s")})
        requests.append(f"POST /v1/scans HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                        "\r\n".encode() + body)
    return requests


def _applied(body: bytes) -> str | None:
    """What is wrong with a single scan's reply, if anything."""
    results = msgspec.json.decode(body).get("results") or [{}]
    return None if results[0].get("status") == "applied" else "not applied"


def _single(port: int, headers: dict, tns: list[str], rate: float,
            warm_up: int) -> OpenLoopRun:
    """One-scan requests sent open-loop at `rate` per second, from a process of their own."""
    requests = _requests(port, headers, tns)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(open_loop, port, requests[:warm_up], rate, _applied).result()
        return pool.submit(open_loop, port, requests[warm_up:], rate, _applied).result()


BARE_UPDATE = "UPDATE items SET state = 'received', updated_at = $2 WHERE id = $1 " \
    "AND state = 'registered' RETURNING chain_length, chain_head"
BARE_EVENT = """
WITH event AS (
    INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, emsevt,
        actor_role, actor_id, device_id, site_id, device_at, server_at, payload, hash_version,
        prev_hash, hash)
    VALUES ($1, $2, 'receive', 'registered', 'received', 'received', 'EDD', 'sorting_clerk', 1,
        'bench', NULL, $3, $3, $4, 2, $5, $6)
)
UPDATE items SET chain_length = $2, chain_head = $6 WHERE id = $1
"""
BARE_OUTBOX = """
INSERT INTO outbox (channel, topic, item_id, agency_id, payload) VALUES ('webhook',
    'item.state_changed', $1, $2, $3)
"""


async def _bare(url: str, size: int, batches: int) -> float:
    """The same writes, per item, from a plain loop: rows per second."""
    conn = await db.connect(url)
    await conn.execute("UPDATE items SET state = 'registered' WHERE state = 'received'")
    rows = await conn.fetch("SELECT id, agency_id FROM items WHERE state = 'registered' "
                            "ORDER BY id LIMIT $1", size * batches)
    started = time.perf_counter()
    for b in range(batches):
        async with conn.transaction():
            for row in rows[b * size:(b + 1) * size]:
                await _bare_one(conn, row["id"], row["agency_id"])
    elapsed = time.perf_counter() - started
    await conn.close()
    return len(rows) / elapsed


async def _bare_one(conn, item_id: int, agency_id: int) -> None:
    now = datetime.now(UTC)
    seq, prev = await conn.fetchrow(BARE_UPDATE, item_id, now)
    payload = {"scan_id": f"bare-{item_id}"}
    event = {"item_id": item_id, "seq": seq + 1, "action": "receive",
             "from_state": "registered", "to_state": "received", "event_code": "received",
             "emsevt": "EDD", "actor_id": 1, "role": "sorting_clerk", "device_id": "bench",
             "site": None, "device_at": now, "server_at": now, "payload": payload}
    digest = chain.event_hash(prev, event)
    await conn.execute(BARE_EVENT, item_id, seq + 1, now, payload, prev, digest)
    await conn.execute(BARE_OUTBOX, item_id, agency_id, {"state": "received"})


# --- the mixed upload: a day of handhelds at one branch --------------------------------------

class _Citizen(msgspec.Struct, kw_only=True):
    """One document of the day and what becomes of it."""

    tn: str
    home: bool
    last4: str  # the holder's national ID, as the ID card shows it
    point: dict[str, float]  # the door
    courier: str | None = None
    failure: str | None = None  # why the courier could not deliver it, if so


class _Phase(msgspec.Struct, kw_only=True):
    name: str
    who: str
    uploads: int = 0
    scans: int = 0
    applied: int = 0
    items: int = 0  # items moved by bag scans
    seconds: float = 0.0


class _Day(msgspec.Struct, kw_only=True):
    citizens: list[_Citizen]
    bags: list[str]
    couriers: list[str]
    phases: dict[str, _Phase] = msgspec.field(default_factory=dict)
    refused: collections.Counter = msgspec.field(default_factory=collections.Counter)
    examples: dict[str, str] = msgspec.field(default_factory=dict)

    def applied(self) -> int:
        return sum(p.applied for p in self.phases.values())

    def scans(self) -> int:
        return sum(p.scans for p in self.phases.values())

    def rate(self) -> float:
        return self.applied() / sum(p.seconds for p in self.phases.values())


def _couriers(n: int) -> list[str]:
    return [f"courier{k + 1:02d}" for k in range(n)]


def _day_documents(n: int, rng: random.Random) -> list[dict]:
    """Documents for citizens living in the branch's area, a share of them to collect there."""
    branches = demo_branches(halabja_code=HALABJA_CODE)  # as seed_demo_sites draws them
    branch = next(b for b in branches if b.code == DAY_BRANCH)
    area = next(a.polygon for a in demo_areas(branches) if a.branch_code == DAY_BRANCH)

    def inside(lat: float, lon: float) -> bool:
        return bool(shapely.contains_xy(area, lon, lat))

    documents = []
    for i in range(n):
        lat, lon = cast.point_near(rng, (branch.lat, branch.lon), inside)
        mode = {"mode": "pickup", "branch_code": DAY_BRANCH} if rng.random() < PICKUP_SHARE \
            else {"mode": "home"}
        documents.append({
            "external_ref": f"DAY-{i:06d}", "document_type": DAY_TYPES[i % len(DAY_TYPES)],
            "citizen": {"name": "Zainab Kadhim Hassan", "phone": f"0771{i:07d}",
                        "national_id": f"1987{rng.randrange(10**8):08d}"},
            "delivery": {"governorate": "IQ-BG", "district": "Mansour",
                         "address_text": f"mahalla {601 + 2 * (i % 7)}, zuqaq {1 + i % 40}, "
                                         f"house {1 + i % 60}",
                         "location": {"lat": lat, "lon": lon}, **mode}})
    return documents


def _plan_day(client: httpx.Client, url: str, key: str, n: int, couriers: int,
              sorter: dict[str, str]) -> _Day:
    """Register the day's documents, decide their fates, open the bags (all setup)."""
    rng = random.Random(cast.SEED)
    documents = _day_documents(n, rng)
    tns = [tn for start in range(0, n, 5_000)
           for tn in _hand_over(client, key, documents[start:start + 5_000])]
    elsewhere = asyncio.run(_elsewhere(url, tns))
    assert not elsewhere, f"documents assigned to other branches: {elsewhere}"
    citizens = [_Citizen(tn=tn, home=d["delivery"]["mode"] == "home",
                         last4=d["citizen"]["national_id"][-4:], point=d["delivery"]["location"])
                for tn, d in zip(tns, documents, strict=True)]
    home, names = [c for c in citizens if c.home], _couriers(couriers)
    for k, citizen in enumerate(home):  # each courier a stretch of the route
        citizen.courier = names[k * couriers // len(home)]
        if rng.random() < FAIL_SHARE:
            citizen.failure = rng.choices(list(FAILURES), weights=list(FAILURES.values()))[0]
    return _Day(citizens=citizens, bags=_open_bags(client, sorter, math.ceil(n / BAG_SIZE)),
                couriers=names)


BRANCHES_OF = """
SELECT s.code, count(*) FROM items i JOIN sites s ON s.id = i.branch_id
WHERE i.tracking_number = ANY($1::text[]) AND s.code <> $2 GROUP BY s.code
"""


async def _elsewhere(url: str, tns: list[str]) -> dict[str, int]:
    conn = await db.connect(url)
    rows = await conn.fetch(BRANCHES_OF, tns, DAY_BRANCH)
    await conn.close()
    return {r["code"]: r["count"] for r in rows}


def _open_bags(client: httpx.Client, sorter: dict[str, str], n: int) -> list[str]:
    bags = []
    for _ in range(n):
        response = client.post("/v1/bags", json={"destination": DAY_BRANCH}, headers=sorter)
        assert response.status_code == 201, response.text
        bags.append(response.json()["bag_id"])
    return bags


# The newest one-time code sent to each item's citizen. This stands in for the citizen reading
# the SMS and telling the code to the courier or the clerk: it is read where the tests read it,
# from the SMS rows waiting in the benchmark's own outbox (no worker runs here, so none is sent,
# and none has its code scrubbed).
CODES = """
SELECT DISTINCT ON (o.item_id) i.tracking_number, o.payload->'values'->>'code' AS code
FROM outbox o JOIN items i ON i.id = o.item_id
WHERE i.tracking_number = ANY($1::text[]) AND o.channel = 'sms' AND o.payload->'values' ? 'code'
ORDER BY o.item_id, o.id DESC
"""


async def _codes(url: str, citizens: list[_Citizen]) -> dict[str, str]:
    conn = await db.connect(url)
    rows = await conn.fetch(CODES, [c.tn for c in citizens])
    await conn.close()
    return {r["tracking_number"]: r["code"] for r in rows}


def _scan(code: str, action: str, **extra: object) -> dict:
    return {"scan_id": f"day-{action}-{code}", "code": code, "action": action, **extra}


def _at_the_door(citizen: _Citizen, codes: dict[str, str]) -> dict:
    if citizen.failure is None:
        return _scan(citizen.tn, "deliver", otp=codes[citizen.tn], id_last4=citizen.last4,
                     location=citizen.point)
    note = {"note": "gate locked; neighbours say the family is away"} \
        if citizen.failure == "other" else {}
    return _scan(citizen.tn, "fail", reason=citizen.failure, location=citizen.point, **note)


def _upload(client: httpx.Client, day: _Day, name: str, who: str, headers: dict[str, str],
            scans: list[dict]) -> None:
    """One member of staff's scans of one phase, in uploads of up to 500; only the requests
    themselves are timed."""
    phase = day.phases.setdefault(name, _Phase(name=name, who=who))
    headers = {**headers, "Content-Type": "application/json"}
    for start in range(0, len(scans), MAX_UPLOAD):
        at = datetime.now(UTC).isoformat()
        body = msgspec.json.encode({"scans": [s | {"at": at}
                                              for s in scans[start:start + MAX_UPLOAD]]})
        began = time.perf_counter()
        response = client.post("/v1/scans", content=body, headers=headers)
        results = response.json()["results"] if response.status_code == 200 else None
        phase.seconds += time.perf_counter() - began
        if results is None:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
        _tally(day, phase, results)


def _tally(day: _Day, phase: _Phase, results: list[dict]) -> None:
    phase.uploads += 1
    phase.scans += len(results)
    for r in results:
        if r["status"] == "applied":
            phase.applied += 1
            phase.items += r.get("items") or 0
        else:
            why = f"{phase.name}: {r['status']} {r.get('reason', '')}".strip()
            day.refused[why] += 1
            day.examples.setdefault(why, r.get("error") or "")


def _live_day(client: httpx.Client, url: str, day: _Day, staff: dict[str, dict]) -> None:
    """Every phase of the day, each after the one before, as the handhelds would upload it."""
    sorter, clerk = staff["sorter"], staff["clerk"]
    everyone = day.citizens
    home = [c for c in everyone if c.home]
    pickup = [c for c in everyone if not c.home]
    failed = [c for c in home if c.failure]
    # A refusal or a wrong person sends the document back to its agency at once.
    sent_back = [c for c in failed if c.failure in SENT_BACK_AT_ONCE]
    kept = [c for c in failed if c.failure not in SENT_BACK_AT_ONCE]
    rounds = {name: [c for c in home if c.courier == name] for name in day.couriers}

    def up(name: str, who: str, headers: dict, scans: list[dict]) -> None:
        if scans:
            _upload(client, day, name, who, headers, scans)

    up("receive", "sorting clerk", sorter, [_scan(c.tn, "receive") for c in everyone])
    up("bag", "sorting clerk", sorter, [_scan(c.tn, "bag", bag=day.bags[i // BAG_SIZE])
                                        for i, c in enumerate(everyone)])
    up("dispatch (bags)", "sorting clerk", sorter, [_scan(b, "dispatch") for b in day.bags])
    up("arrive (bags)", "branch clerk", clerk, [_scan(b, "arrive") for b in day.bags])
    up("arrive (items)", "branch clerk", clerk, [_scan(c.tn, "arrive") for c in everyone])
    up("shelve (pickup)", "branch clerk", clerk, [_scan(c.tn, "shelve") for c in pickup])
    up("to_courier", "branch clerk", clerk,
       [_scan(c.tn, "to_courier", courier=c.courier) for c in home])
    for name, mine in rounds.items():
        up("take", "couriers", staff[name], [_scan(c.tn, "take") for c in mine])
    codes = asyncio.run(_codes(url, home))
    for name, mine in rounds.items():
        up("deliver / fail", "couriers", staff[name], [_at_the_door(c, codes) for c in mine])
    for name, mine in rounds.items():
        up("return", "couriers", staff[name], [_scan(c.tn, "return") for c in mine if c.failure])
    up("accept", "branch clerk", clerk, [_scan(c.tn, "accept") for c in kept])
    up("shelve (returned)", "branch clerk", clerk,
       [_scan(c.tn, "shelve") for c in kept])
    up("send_back", "branch clerk", clerk, [_scan(c.tn, "send_back") for c in sent_back])
    up("accept (sent back)", "sorting clerk", sorter,
       [_scan(c.tn, "accept") for c in sent_back])
    up("returned", "sorting clerk", sorter,
       [_scan(c.tn, "returned", signed_by=AGENCY_SIGNATURE) for c in sent_back])
    codes = asyncio.run(_codes(url, pickup + kept))
    up("collect", "branch clerk", clerk, [_scan(c.tn, "collect", otp=codes[c.tn],
                                                id_last4=c.last4) for c in pickup + kept])


def _mixed(client: httpx.Client, url: str, key: str, n: int, couriers: int,
           sorter: dict[str, str]) -> _Day:
    day = _plan_day(client, url, key, n, couriers, sorter)
    staff = {"sorter": sorter, "clerk": _login(client, "clerk", "bench-clerk")}
    staff |= {name: _login(client, name, f"bench-{name}") for name in day.couriers}
    _live_day(client, url, day, staff)
    return day


def main() -> None:
    args = _arguments()
    parts = {args.only} if args.only else {"receive", "single", "mixed"}
    base = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    url, key = asyncio.run(_fresh_database(base, args.couriers))
    port = free_port()
    n100, n500 = 100 * args.batches_100, 500 * args.batches_500
    n_single = int(args.single_s * args.rate)
    warm_up = int(args.rate)  # one second at the rate: connections and caches, not measured
    rates: dict[str, float] = {}
    single = day = None
    server = serve(url, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            # Registered whatever is measured: the bare loop moves these rows too.
            tns = _register(client, key, n100 + n500 + warm_up + n_single + 200, "bench")
            headers = _login(client)
            _batched(client, headers, tns[:200], 100)  # warm-up
            if "receive" in parts:
                rates["100"] = _batched(client, headers, tns[200:200 + n100], 100)
                rates["500"] = _batched(client, headers, tns[200 + n100:200 + n100 + n500], 500)
                print(f"batched: {rates['100']:,.0f}/s (100), {rates['500']:,.0f}/s (500)",
                      flush=True)
            if "single" in parts:
                single = _single(port, headers, tns[200 + n100 + n500:], args.rate, warm_up)
            if "mixed" in parts:
                day = _mixed(client, url, key, args.mixed_items, args.couriers, headers)
    finally:
        server.terminate()
        server.wait(timeout=20)
    bare = asyncio.run(_bare(url, 500, max(1, (n100 + n500) // 500)))
    if day is not None:
        _print_day(day)
    _print_rates(bare, rates, day)
    if single is not None:
        _print_single(single, args.rate)
    print("target: >= 3,000 applied scans/s for the mixed day in batches of 500 and for "
          "receive-only batches; single-scan p99 <= 20 ms at 200 req/s")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches-100", type=int, default=20)
    parser.add_argument("--batches-500", type=int, default=6)
    parser.add_argument("--single-s", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--mixed-items", type=int, default=2_000,
                        help="documents in the mixed day (default 2,000)")
    parser.add_argument("--couriers", type=int, default=4,
                        help="couriers at the branch, each taking a stretch of the home "
                             "deliveries (default 4: about 400 each, uploads near 500)")
    parser.add_argument("--only", choices=("receive", "single", "mixed"),
                        help="measure this alone (the bare-loop baseline always runs)")
    return parser.parse_args()


def _print_day(day: _Day) -> None:
    c = day.citizens
    home = sum(x.home for x in c)
    print(f"mixed day at {DAY_BRANCH}: {len(c):,} documents ({home:,} home, {len(c) - home:,} "
          f"pickup) in {len(day.bags)} bags; 1 sorting clerk, 1 branch clerk, "
          f"{len(day.couriers)} couriers; {sum(x.failure is not None for x in c):,} not "
          "delivered at the door, returned, then shelved and collected or sent back")
    print(f"  {'phase':<20}{'who':<15}{'uploads':>8}{'scans':>8}{'applied':>9}{'items':>7}"
          f"{'s':>7}{'scans/s':>9}")
    for p in day.phases.values():
        print(f"  {p.name:<20}{p.who:<15}{p.uploads:>8}{p.scans:>8,}{p.applied:>9,}"
              f"{p.items or '':>7}{p.seconds:>7.2f}{p.applied / p.seconds:>9,.0f}")
    seconds = sum(p.seconds for p in day.phases.values())
    print(f"  {'all':<35}{sum(p.uploads for p in day.phases.values()):>8}{day.scans():>8,}"
          f"{day.applied():>9,}{'':>7}{seconds:>7.2f}{day.rate():>9,.0f}")
    moves = day.applied() - sum(p.applied for p in day.phases.values() if p.items) \
        + sum(p.items for p in day.phases.values())
    print(f"  counting each item a bag scan moves instead of the bag: {moves / seconds:,.0f} "
          "item moves/s")
    print(f"  applied: {day.applied() / day.scans():.1%} of the scans; refused: "
          + (", ".join(f"{why} x{n}" for why, n in day.refused.most_common()) or "none"))
    for why, example in day.examples.items():
        print(f"    e.g. {why}: {example[:160]}")


def _print_rates(bare: float, rates: dict[str, float], day: _Day | None) -> None:
    print(f"{'path':<48}{'scans/s':>10}{'vs bare':>10}")
    print(f"{'bare UPDATE+INSERT loop (baseline, same writes)':<48}{bare:>10,.0f}{1:>10.2f}")
    rows = [(f"POST /v1/scans, receive only, batches of {size}", rates[size])
            for size in ("100", "500") if size in rates]
    if day is not None:
        rows.append(("POST /v1/scans, mixed day, batches of <= 500", day.rate()))
    for label, rate in rows:
        print(f"{label:<48}{rate:>10,.0f}{rate / bare:>10.2f}")
    if day is not None and "500" in rates:
        print(f"mixed day / receive only (500): {day.rate() / rates['500']:.2f}")


def _print_single(run: OpenLoopRun, rate: float) -> None:
    cuts = statistics.quantiles(run.latencies_ms, n=100)
    print(f"single scan at {rate:.0f} req/s over {len(run.latencies_ms)} requests (open loop, "
          f"from the scheduled send): p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, "
          f"max {max(run.latencies_ms):.1f} ms")
    print(f"  load generator: {run.connections} connections, {run.cpu_ms_per_request:.2f} ms "
          f"CPU per request, worst send {run.max_send_lag_ms:.1f} ms late")
    if run.failed:
        print(f"  {run.failed} single scans failed, e.g. {run.failures[0][:200]}")


if __name__ == "__main__":
    main()
