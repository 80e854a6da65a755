"""Large tables from OSRM: servers refuse tables over their `max-table-size` (100 points by
default), so a large branch day is asked for in blocks and the whole matrix put together."""

import random

import numpy as np
import pytest

from routing.matrix import OsrmTimes
from tests.fakes.osrm import SPEED_M_PER_S, FakeOsrm, grid_walk_m

BAGHDAD = (33.3152, 44.3661)


def points(count: int, seed: int = 5) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(BAGHDAD[0] + rng.uniform(-0.05, 0.05), BAGHDAD[1] + rng.uniform(-0.05, 0.05))
            for _ in range(count)]


def road_metres(pts: list[tuple[float, float]]) -> np.ndarray:
    lon_lat = [(lon, lat) for lat, lon in pts]
    return np.array([[grid_walk_m(a, b) for b in lon_lat] for a in lon_lat])


class Refused:
    """A fallback that fails the test if it is ever used."""

    def matrices(self, pts, vehicle):
        raise AssertionError(f"fell back to straight lines for {len(pts)} points")


@pytest.mark.parametrize(("count", "requests"), [(250, 10), (101, 3), (100, 1), (7, 1)])
def test_a_table_larger_than_the_server_allows_is_fetched_in_blocks(count, requests):
    pts = points(count)
    with FakeOsrm(max_coordinates=100, road=True) as osrm:
        distance, duration = OsrmTimes(osrm.base_url, fallback=Refused(),
                                       timeout_s=5).matrices(pts, "car")

    expected = road_metres(pts)
    assert distance.shape == duration.shape == (count, count)
    assert np.abs(distance - expected).max() <= 1
    assert np.abs(duration - expected / SPEED_M_PER_S).max() <= 1
    assert len(osrm.requests) == requests  # each pair of blocks of 50 points asked for once


def test_the_block_size_follows_the_servers_configured_limit():
    pts = points(60)
    with FakeOsrm(max_coordinates=20, road=True) as osrm:
        distance, _ = OsrmTimes(osrm.base_url, fallback=Refused(), timeout_s=5,
                                max_table_size=20).matrices(pts, "foot")
    assert np.abs(distance - road_metres(pts)).max() <= 1
    assert len(osrm.requests) == 15  # six blocks of 10 points, each pair of them once


def test_a_refused_block_falls_back_for_the_whole_table():
    pts = points(150)
    with FakeOsrm(max_coordinates=10, road=True) as osrm:
        distance, _ = OsrmTimes(osrm.base_url, timeout_s=5).matrices(pts, "car")
    assert osrm.requests
    assert np.abs(distance - road_metres(pts)).max() > 1  # straight lines, not roads
