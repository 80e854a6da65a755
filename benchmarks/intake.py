"""Documents per second through `POST /v1/documents/batch`, against raw COPY into the same table.

    uv run python benchmarks/intake.py [--batches-1k 20] [--batches-10k 5]

Needs DATABASE_URL and REDIS_URL (a server on which it may create the database
`tasheel_bench_intake`). It starts `tasheel serve --no-worker` in a subprocess, so the figures
include HTTP, JSON decoding, validation, phone parsing, assignment, the custody event and the
outbox rows. The baseline, in the same run, is `COPY` of equivalent rows into `items` alone
(the median of one COPY of 10,000 rows per batch of 10,000).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.support import database_url, free_port, fresh_database, serve
from delivery.agencies.services import create_agency
from delivery.custody.s10 import make_tracking_number

BENCH_DB = "tasheel_bench_intake"


def _documents(prefix: str, n: int) -> list[dict]:
    return [{
        "external_ref": f"{prefix}-{i:06d}", "document_type": "passport",
        "citizen": {"name": "Ahmed Ali Hassan", "phone": f"0770{i % 10_000_000:07d}",
                    "national_id": f"1990{i:08d}"},
        "delivery": {"mode": "home", "governorate": "IQ-BG", "district": "Karkh",
                     "address_text": "mahalla 314, zuqaq 7, house 12",
                     "location": {"lat": 33.20 + (i % 100) * 0.003,
                                  "lon": 44.25 + (i % 37) * 0.007}},
    } for i in range(n)]


async def _fresh_database(base_url: str) -> tuple[str, str]:
    conn = await fresh_database(base_url, BENCH_DB)
    _, key = await create_agency(conn, code="BENCH", name="Benchmark agency")
    await conn.close()
    return database_url(base_url, BENCH_DB), key


def _post_batches(port: int, key: str, prefix: str, size: int, count: int) -> float:
    """Documents per second over `count` sequential batches of `size`."""
    bodies = [msgspec.json.encode({"documents": _documents(f"{prefix}{b}", size)})
              for b in range(count)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
        started = time.perf_counter()
        for body in bodies:
            response = client.post("/v1/documents/batch", content=body, headers=headers)
            results = response.json()["results"]
            assert all(r["status"] == "accepted" for r in results), results[:3]
        elapsed = time.perf_counter() - started
    return size * count / elapsed


async def _copy_rate(url: str, n: int, repeats: int) -> float:
    """Rows per second that COPY alone writes into `items`, with values of the same shape:
    the median of `repeats` COPYs of `n` rows each."""
    conn = await asyncpg.connect(url)  # asyncpg's own binary jsonb codec, which COPY needs
    agency_id = await conn.fetchval("SELECT id FROM agencies WHERE code = 'BENCH'")
    branch_id = await conn.fetchval("SELECT id FROM sites WHERE code = 'BG-002'")
    now = datetime.now(UTC)
    comparable = msgspec.json.encode({"/citizen/phone": "x" * 24}).decode()
    records = [(
        make_tracking_number(90_000_000 + i), agency_id, f"COPY-{i:07d}",
        hashlib.sha256(str(i).encode()).digest(), comparable, "passport", "registered",
        "Ahmed Ali Hassan", f"+964770{i % 10_000_000:07d}", secrets.token_bytes(32),
        f"{i % 10_000:04d}", None, "IQ-BG", "Karkh", "mahalla 314, zuqaq 7, house 12", None,
        33.2, 44.3, "home", branch_id, "area", hashlib.sha256(secrets.token_bytes(16)).digest(),
        now, now) for i in range(n * repeats)]
    columns = ["tracking_number", "agency_id", "external_ref", "fingerprint", "comparable",
               "document_type", "state", "citizen_name", "citizen_phone", "national_id_hash",
               "national_id_last4", "language", "governorate", "district", "address_text",
               "landmark", "lat", "lon", "delivery_mode", "branch_id", "assignment_rule",
               "token_hash", "created_at", "updated_at"]
    rates = []
    for k in range(repeats):
        started = time.perf_counter()
        await conn.copy_records_to_table("items", records=records[k * n:(k + 1) * n],
                                         columns=columns)
        rates.append(n / (time.perf_counter() - started))
    await conn.close()
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches-1k", type=int, default=20)
    parser.add_argument("--batches-10k", type=int, default=5)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    url, key = asyncio.run(_fresh_database(base))
    port = free_port()
    server = serve(url, port)
    try:
        _post_batches(port, key, "warm", 100, 3)
        rate_1k = _post_batches(port, key, "k", 1_000, args.batches_1k)
        rate_10k = _post_batches(port, key, "m", 10_000, args.batches_10k)
    finally:
        server.terminate()
        server.wait(timeout=20)
    copy = asyncio.run(_copy_rate(url, 10_000, args.batches_10k))
    print(f"{'path':<44}{'documents/s':>14}{'vs COPY':>10}")
    print(f"{'COPY into items (baseline, same rows)':<44}{copy:>14,.0f}{1:>10.2f}")
    for label, rate in (("HTTP batch of 1,000 (end to end)", rate_1k),
                        ("HTTP batch of 10,000 (end to end)", rate_10k)):
        print(f"{label:<44}{rate:>14,.0f}{rate / copy:>10.2f}")
    print("target: >= 5,000 documents/s end to end and >= 0.33 of the COPY rate")


if __name__ == "__main__":
    main()
