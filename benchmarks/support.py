"""What every benchmark needs: a fresh database of its own and a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from delivery import db  # noqa: E402
from delivery.migrate import migrate  # noqa: E402
from delivery.seed import load_reference_data, seed_demo_sites  # noqa: E402


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
