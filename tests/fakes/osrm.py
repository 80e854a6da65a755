"""A small real HTTP server answering OSRM `table` requests from straight-line distances."""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

Mode = Literal["ok", "error_500", "timeout", "bad_json", "not_ok", "wrong_shape"]

SPEED_M_PER_S = 10.0  # a fixed 36 km/h, so answers differ visibly from any fallback


def great_circle_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in metres between two (lon, lat) pairs."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


class FakeOsrm:
    """Run with `with FakeOsrm() as osrm:`; set `osrm.mode` to make it fail in a chosen way."""

    def __init__(self, mode: Mode = "ok", delay_s: float = 2.0) -> None:
        self.mode: Mode = mode
        self.delay_s = delay_s
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """Where the server listens, e.g. http://127.0.0.1:54321."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeOsrm:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str) -> tuple[int, bytes]:
        """Status and body for a request path, according to the current mode."""
        self.requests.append(path)
        if self.mode == "timeout":
            time.sleep(self.delay_s)
        if self.mode == "error_500":
            return 500, b'{"code": "InternalError"}'
        if self.mode == "bad_json":
            return 200, b'{"code": "Ok", "durations": [[0'
        return 200, json.dumps(self._table(path)).encode()

    def _table(self, path: str) -> dict:
        coordinates = urlsplit(path).path.rsplit("/", 1)[-1]
        points = [tuple(map(float, pair.split(","))) for pair in coordinates.split(";")]
        distances = [[great_circle_m(a, b) for b in points] for a in points]
        if self.mode == "not_ok":
            return {"code": "NoTable", "message": "no route"}
        if self.mode == "wrong_shape":
            distances = distances[:-1]
        durations = [[d / SPEED_M_PER_S for d in row] for row in distances]
        return {"code": "Ok", "distances": distances, "durations": durations}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = fake.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
