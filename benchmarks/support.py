"""What every benchmark needs: a fresh database of its own and a real server process."""

from __future__ import annotations

import asyncio
import collections
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import msgspec
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from delivery.demo.seed import seed_demo_sites  # noqa: E402
from delivery.platform import db  # noqa: E402
from delivery.platform.migrate import migrate  # noqa: E402
from delivery.sites.services import load_reference_data  # noqa: E402


def database_url(url: str, name: str) -> str:
    """`url` pointed at the database `name` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def fresh_database(base_url: str, name: str) -> asyncpg.Connection:
    """Drop and create `name`, migrate it, load the demo world; an open connection to it."""
    admin = await asyncpg.connect(database_url(base_url, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    conn = await db.connect(database_url(base_url, name))
    await migrate(conn)
    await load_reference_data(conn)
    await seed_demo_sites(conn)
    return conn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int, **env: str) -> subprocess.Popen:
    """`tasheel serve --no-worker` on `url`, returned once /ready answers 200."""
    environment = os.environ | {"DATABASE_URL": url, "TASHEEL_DEMO_SEED": "0",
                                "LOG_LEVEL": "WARNING", "TASHEEL_SECRET_KEY": "bench"} | env
    proc = subprocess.Popen([sys.executable, "-m", "delivery.cli", "serve", "--no-worker",
                             "--port", str(port)], cwd=ROOT, env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not become ready")


# --- an open-loop HTTP/1.1 load generator (run it in a process of its own) -------------------

class OpenLoopRun(msgspec.Struct, frozen=True, kw_only=True):
    """Latencies of requests sent on a fixed schedule, measured from their scheduled times."""

    latencies_ms: list[float]
    failures: list[str]  # at most a few, with how many there were in `failed`
    failed: int
    connections: int  # keep-alive connections it took to never wait for one
    max_send_lag_ms: float  # how late the generator itself sent its worst request
    cpu_ms_per_request: float  # the generator's own cost


def open_loop(port: int, requests: list[bytes], rate: float,
              check: Callable[[bytes], str | None], *, connections: int = 16,
              max_connections: int = 512) -> OpenLoopRun:
    """Send pre-encoded `requests` at `rate` per second whatever the replies, over keep-alive
    connections (a busy one is never waited for: another is used, or opened).

    Each reply's status line must say 200 and `check(body)` return None (else, what is wrong).
    Latency counts from the scheduled send time, so a stall is not hidden by sending less, and
    any lateness of the generator itself counts against the server too.
    """
    return uvloop.run(_open_loop(port, requests, rate, check, connections, max_connections))


async def _open_loop(port: int, requests: list[bytes], rate: float,
                     check: Callable[[bytes], str | None], warm: int,
                     most: int) -> OpenLoopRun:
    loop = asyncio.get_running_loop()
    pool = _Connections(port, most, [await asyncio.open_connection("127.0.0.1", port)
                                     for _ in range(warm)])
    latencies: list[float] = []
    failures: list[str] = []
    lag = [0.0]
    tasks: list[asyncio.Task] = []

    async def exchange(due: float, request: bytes) -> None:
        connection = None
        try:
            async with asyncio.timeout(30):
                connection = reader, writer = await pool.take()
                lag[0] = max(lag[0], time.perf_counter() - due)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                body = await reader.readexactly(_content_length(head))
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            failures.append(repr(exc))
            pool.lost(connection)
            return
        latencies.append((time.perf_counter() - due) * 1000)
        problem = None if head.startswith(b"HTTP/1.1 200 ") else head.split(b"\r\n", 1)[0]
        problem = problem or check(body)
        if problem:
            failures.append(f"{problem!r}: {body[:200]!r}")
        pool.give((reader, writer))

    def send(index: int, due: float) -> None:
        tasks.append(loop.create_task(exchange(due, requests[index])))

    cpu = time.process_time()
    await asyncio.to_thread(_on_schedule, loop, send, len(requests), rate)
    await asyncio.gather(*tasks)
    cpu = time.process_time() - cpu
    pool.close()
    return OpenLoopRun(latencies_ms=latencies, failures=failures[:5], failed=len(failures),
                       connections=pool.opened, max_send_lag_ms=lag[0] * 1000,
                       cpu_ms_per_request=cpu * 1000 / max(1, len(requests)))


def _on_schedule(loop: asyncio.AbstractEventLoop, send: Callable[[int, float], None], n: int,
                 rate: float) -> None:
    """Call `send(i, due)` in the loop at each due time. A thread's sleep wakes on time where
    the loop's timers count whole milliseconds (waking early, or spinning to avoid it)."""
    start = time.perf_counter() + 0.05
    for index in range(n):
        due = start + index / rate
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        loop.call_soon_threadsafe(send, index, due)


class _Connections:
    """Keep-alive connections used in turn (so none idles into the server's keep-alive
    timeout); a new one whenever all are busy, up to `most`."""

    def __init__(self, port: int, most: int, warm: list) -> None:
        self.port, self.most, self.opened = port, most, len(warm)
        self.idle = collections.deque(warm)
        self.waiting: collections.deque[asyncio.Future] = collections.deque()

    async def take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle:
            return self.idle.popleft()
        if self.opened < self.most:
            self.opened += 1
            return await asyncio.open_connection("127.0.0.1", self.port)
        waiter = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        return await waiter

    def give(self, connection: tuple) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self.idle.append(connection)

    def lost(self, connection: tuple | None) -> None:
        if connection is not None:  # closed: a new one may take its place
            connection[1].close()
            self.opened -= 1

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            return int(line[15:])
    raise ValueError(f"a reply without Content-Length: {head[:200]!r}")
