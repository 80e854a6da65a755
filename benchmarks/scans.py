"""Applied scans per second through `POST /v1/scans`, and single-scan latency at a fixed rate,
against a bare UPDATE + INSERT loop in PostgreSQL doing the same writes, in the same run.

    uv run python benchmarks/scans.py [--batches-100 20] [--batches-500 6] [--single-s 10]

Needs DATABASE_URL and REDIS_URL (a server on which it may create `tasheel_bench_scans`).
It starts `tasheel serve --no-worker` in a subprocess. Every measured scan is a `receive` of a
registered item by a sorting clerk: a conditional UPDATE of the item, a chained custody event,
a webhook outbox row and the stored scan result. The baseline runs, per item, the UPDATE and
the INSERTs of the event and outbox row (hash computed the same way), one transaction per batch.

Batches are sent one after another by one client. Single scans come from an open-loop generator
in a process of its own (`support.open_loop`): pre-encoded requests sent on schedule over
keep-alive connections whatever the replies, each reply checked (200, the scan `applied`), and
latency counted from the scheduled send, so a stall shows in full instead of slowing the sender.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec

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
from delivery import db  # noqa: E402
from delivery.agencies.services import create_agency  # noqa: E402
from delivery.custody import chain  # noqa: E402
from delivery.staff.services import create_staff  # noqa: E402

BENCH_DB = "tasheel_bench_scans"
PASSWORD = "benchmark password"


async def _fresh_database(base_url: str) -> tuple[str, str]:
    conn = await fresh_database(base_url, BENCH_DB)
    url = database_url(base_url, BENCH_DB)
    _, key = await create_agency(conn, code="BENCH", name="Benchmark agency")
    await create_staff(conn, username="sorter", password=PASSWORD, role="sorting_clerk",
                       site_code="SC-BG")
    await conn.close()
    return url, key


def _register(client: httpx.Client, key: str, n: int, prefix: str) -> list[str]:
    tns: list[str] = []
    for start in range(0, n, 5_000):
        body = msgspec.json.encode({"documents": _documents(f"{prefix}{start}",
                                                            min(5_000, n - start))})
        response = client.post("/v1/documents/batch", content=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        tns += [r["tracking_number"] for r in response.json()["results"]]
    return tns


def _login(client: httpx.Client) -> dict[str, str]:
    token = client.post("/v1/auth/login", json={"username": "sorter", "password": PASSWORD,
                                                "device_id": "bench"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "X-Device-Id": "bench"}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches-100", type=int, default=20)
    parser.add_argument("--batches-500", type=int, default=6)
    parser.add_argument("--single-s", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    url, key = asyncio.run(_fresh_database(base))
    port = free_port()
    n100, n500 = 100 * args.batches_100, 500 * args.batches_500
    n_single = int(args.single_s * args.rate)
    warm_up = int(args.rate)  # one second at the rate: connections and caches, not measured
    server = serve(url, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            tns = _register(client, key, n100 + n500 + warm_up + n_single + 200, "bench")
            headers = _login(client)
            _batched(client, headers, tns[:200], 100)  # warm-up
            rate_100 = _batched(client, headers, tns[200:200 + n100], 100)
            rate_500 = _batched(client, headers, tns[200 + n100:200 + n100 + n500], 500)
            print(f"batched: {rate_100:,.0f}/s (100), {rate_500:,.0f}/s (500)", flush=True)
        single = _single(port, headers, tns[200 + n100 + n500:], args.rate, warm_up)
    finally:
        server.terminate()
        server.wait(timeout=20)
    bare = asyncio.run(_bare(url, 500, max(1, (n100 + n500) // 500)))
    print(f"{'path':<48}{'scans/s':>10}{'vs bare':>10}")
    print(f"{'bare UPDATE+INSERT loop (baseline, same writes)':<48}{bare:>10,.0f}{1:>10.2f}")
    for label, rate in (("POST /v1/scans, batches of 100", rate_100),
                        ("POST /v1/scans, batches of 500", rate_500)):
        print(f"{label:<48}{rate:>10,.0f}{rate / bare:>10.2f}")
    _print_single(single, args.rate)
    print("target: >= 3,000 applied scans/s batched; single-scan p99 <= 20 ms at 200 req/s")


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
