"""Distance and travel-time matrices between points, from a formula or from an OSRM server."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

import httpx
import numpy as np

Vehicle = Literal["foot", "motorcycle", "car"]
Point = tuple[float, float]  # (lat, lon) in degrees

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {"foot": 5.0, "motorcycle": 25.0, "car": 20.0}
DEFAULT_OSRM_PROFILES: Mapping[str, str] = {
    "foot": "foot",
    "motorcycle": "driving",
    "car": "driving",
}
DEFAULT_MAX_TABLE_SIZE = 100  # OSRM's own default for `osrm-routed --max-table-size`

log = logging.getLogger(__name__)


class _NoTableUrls(logging.Filter):
    """Keeps httpx's request log lines for OSRM tables out: their URLs carry coordinates."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/table/v1/" not in record.getMessage()


_NO_TABLE_URLS = _NoTableUrls()


class TravelTimes(Protocol):
    """Anything that can say how far and how long it is between every pair of points."""

    def matrices(self, points: Sequence[Point], vehicle: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (distance in metres, duration in seconds) as square int64 matrices."""
        ...


def haversine_m(points: Sequence[Point]) -> np.ndarray:
    """Great-circle distance in metres between every pair of points, as floats."""
    # Chords between unit vectors need one matrix product and one arcsin per pair: a few
    # milliseconds for hundreds of points, and millimetre-accurate down to metre distances.
    coords = np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    lat, lon = coords[:, 0], coords[:, 1]
    unit = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    half_chord = unit @ unit.T
    np.subtract(1.0, half_chord, out=half_chord)
    np.clip(half_chord, 0.0, 2.0, out=half_chord)
    np.sqrt(half_chord, out=half_chord)
    half_chord *= math.sqrt(0.5)  # sqrt((2 - 2 cos) / 4) = sin(angle / 2)
    np.clip(half_chord, 0.0, 1.0, out=half_chord)
    np.arcsin(half_chord, out=half_chord)
    half_chord *= 2 * EARTH_RADIUS_M
    np.fill_diagonal(half_chord, 0.0)
    return half_chord


class HaversineTimes:
    """Straight-line distance stretched by a circuity factor, at a fixed speed per vehicle."""

    def __init__(
        self, circuity: float = 1.3, speeds_kmh: Mapping[str, float] = DEFAULT_SPEEDS_KMH
    ) -> None:
        self.circuity = circuity
        self.speeds_kmh = dict(speeds_kmh)

    def matrices(self, points: Sequence[Point], vehicle: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (distance_m, duration_s) int64 matrices for the given vehicle's speed."""
        metres = haversine_m(points)
        metres *= self.circuity
        distance = np.rint(metres).astype(np.int64)
        metres *= 3.6 / self.speeds_kmh[vehicle]
        duration = np.rint(metres).astype(np.int64)
        return distance, duration


class OsrmUnusable(Exception):
    """The OSRM answer cannot be used; carries a reason that holds no coordinates."""


class OsrmTimes:
    """Road distances from an OSRM-compatible `table` service, with a fallback provider."""

    def __init__(
        self,
        base_url: str,
        fallback: TravelTimes | None = None,
        timeout_s: float = 10.0,
        profiles: Mapping[str, str] = DEFAULT_OSRM_PROFILES,
        max_table_size: int = DEFAULT_MAX_TABLE_SIZE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.fallback = fallback if fallback is not None else HaversineTimes()
        self.timeout_s = timeout_s
        self.profiles = dict(profiles)
        self.max_table_size = max_table_size
        logging.getLogger("httpx").addFilter(_NO_TABLE_URLS)  # adding twice is a no-op

    def matrices(self, points: Sequence[Point], vehicle: str) -> tuple[np.ndarray, np.ndarray]:
        """Ask OSRM; on any failure log why (never where) and use the fallback."""
        try:
            return self._ask_osrm(points, vehicle)
        except (httpx.HTTPError, OsrmUnusable, ValueError) as error:
            log.warning(
                "OSRM table unusable, falling back to %s: %s (%d points, vehicle %s)",
                type(self.fallback).__name__,
                _describe(error),
                len(points),
                vehicle,
            )
            return self.fallback.matrices(points, vehicle)

    def _ask_osrm(self, points: Sequence[Point], vehicle: str) -> tuple[np.ndarray, np.ndarray]:
        size = len(points)
        distance = np.empty((size, size), dtype=np.int64)
        duration = np.empty((size, size), dtype=np.int64)
        with httpx.Client(timeout=self.timeout_s) as client:
            for block in table_blocks(size, self.max_table_size):
                cells = np.ix_(block, block)
                distance[cells], duration[cells] = self._table(
                    client, [points[i] for i in block], vehicle
                )
        return distance, duration

    def _table(
        self, client: httpx.Client, points: Sequence[Point], vehicle: str
    ) -> tuple[np.ndarray, np.ndarray]:
        response = client.get(
            self.table_url(points, vehicle), params={"annotations": "duration,distance"}
        )
        if response.status_code != 200:
            raise OsrmUnusable(f"HTTP status {response.status_code}")
        return parse_table(response.json(), len(points))

    def table_url(self, points: Sequence[Point], vehicle: str) -> str:
        """The table request URL for these points (OSRM wants lon,lat pairs)."""
        coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        return f"{self.base_url}/table/v1/{self.profiles[vehicle]}/{coordinates}"


def table_blocks(size: int, max_points: int) -> list[list[int]]:
    """Point indices to ask for, one table each, so that every pair of points is in some table
    and no table has more than `max_points` points: all at once when they fit, else blocks of
    half the limit taken two at a time (each such table also holds both blocks' own pairs)."""
    if size <= max_points:
        return [list(range(size))]
    half = max_points // 2
    blocks = [list(range(start, min(start + half, size))) for start in range(0, size, half)]
    return [a + b for a, b in itertools.combinations(blocks, 2)]


def parse_table(body: object, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Turn an OSRM table answer into (distance_m, duration_s) int64 matrices, or raise."""
    if not isinstance(body, dict) or body.get("code") != "Ok":
        code = body.get("code") if isinstance(body, dict) else type(body).__name__
        raise OsrmUnusable(f"answer code {code!r}")
    return _square(body.get("distances"), size), _square(body.get("durations"), size)


def _square(rows: object, size: int) -> np.ndarray:
    try:
        matrix = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise OsrmUnusable("matrix is not numeric") from error
    if matrix.shape != (size, size) or not np.isfinite(matrix).all() or (matrix < 0).any():
        raise OsrmUnusable(f"matrix shape {matrix.shape} or values unusable")
    return np.rint(matrix).astype(np.int64)


def _describe(error: Exception) -> str:
    # httpx messages can contain the request URL, and the URL contains coordinates.
    if isinstance(error, httpx.HTTPError):
        return type(error).__name__
    if isinstance(error, ValueError) and not isinstance(error, OsrmUnusable):
        return "answer is not JSON"
    return str(error)
