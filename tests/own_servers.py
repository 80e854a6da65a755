"""Servers of a test's own, to stop and start at will while the service runs against them."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time

from delivery.platform.embedded import redis_server_bin
from tests.helpers import free_port


class OwnRedis:
    """A redis-server of this test's own, to stop and start at will (no persistence)."""

    def __init__(self, folder):
        self.port, self.folder, self.process = free_port(), folder, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(redis_server_bin()), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL)
        for _ in range(250):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None


class OwnPostgres:
    """A PostgreSQL cluster of this test's own (on a socket in its folder), migrated and holding
    the reference data, to stop and start while the service runs against it."""

    def __init__(self, folder) -> None:
        from delivery.platform.embedded import EmbeddedPostgres

        self.cluster = EmbeddedPostgres(folder)
        self.url = ""

    async def start(self) -> str:
        from delivery.platform import db
        from delivery.platform.migrate import migrate
        from delivery.sites.services import load_reference_data

        first = not self.url
        self.url = await asyncio.to_thread(self.cluster.start)
        if first:
            conn = await db.connect(self.url)
            try:
                await migrate(conn)
                await load_reference_data(conn)
            finally:
                await conn.close()
        return self.url

    async def stop(self) -> None:
        await asyncio.to_thread(self.cluster.stop)
