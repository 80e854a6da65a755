"""A small real HTTP server answering OSRM `table` requests from straight-line distances (or,
with `road=True`, from a grid-walk formula no straight-line provider gives); with
`max_coordinates`, tables over that many points are refused as OSRM's `max-table-size` does."""

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


def grid_walk_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres walked north-south then east-west between two (lon, lat) pairs: a road-like
    distance that differs from any stretched straight line."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    return 111_320 * (abs(a[1] - b[1]) + abs(a[0] - b[0]) * math.cos(mean_lat))


class FakeOsrm:
    """Run with `with FakeOsrm() as osrm:`; set `osrm.mode` to make it fail in a chosen way."""

    def __init__(self, mode: Mode = "ok", delay_s: float = 2.0, *,
                 max_coordinates: int | None = None, road: bool = False) -> None:
        self.mode: Mode = mode
        self.delay_s = delay_s
        self.max_coordinates = max_coordinates
        self.distance = grid_walk_m if road else great_circle_m
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
        url = urlsplit(path)
        points = [tuple(map(float, pair.split(",")))
                  for pair in url.path.rsplit("/", 1)[-1].split(";")]
        if self.max_coordinates is not None and len(points) > self.max_coordinates:
            return 400, json.dumps({"code": "TooBig",
                                    "message": "Too many table coordinates"}).encode()
        return 200, json.dumps(self._table(points)).encode()

    def _table(self, points: list[tuple[float, ...]]) -> dict:
        distances = [[self.distance(a, b) for b in points] for a in points]
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
