"""Servers of a test's own, to stop and start at will while the service runs against them."""

from __future__ import annotations

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
