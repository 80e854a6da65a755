import math
import random

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPoint, Point, box

from routing.assign import (
    RULE_AREA,
    RULE_GOVERNORATE_MAIN,
    RULE_NEAREST,
    RULE_PICKUP_CHOICE,
    RULE_UNASSIGNED,
    AreaIndex,
    BranchPoint,
    UnknownBranchError,
    haversine_km,
    nearest_branches,
)
from routing.demo_areas import demo_areas, demo_branches

NAN = float("nan")

# Two Baghdad branches with areas, one small area inside the large one, and Basra's main branch.
BRANCHES = [
    ("BG-001", "IQ-BG", 33.34, 44.40, True),
    ("BG-002", "IQ-BG", 33.30, 44.42, False),
    ("BA-001", "IQ-BA", 30.51, 47.78, True),
]
AREAS = [
    ("BG-001", box(44.20, 33.20, 44.60, 33.50)),
    ("BG-002", box(44.40, 33.28, 44.45, 33.32)),
]


def index():
    return AreaIndex(AREAS, BRANCHES)


def assign(lats, lons, governorates, max_km=10.0):
    return index().assign_many(np.array(lats, dtype=float), np.array(lons, dtype=float),
                               governorates, max_nearest_km=max_km)


def test_point_inside_an_area_goes_to_that_areas_branch():
    assert assign([33.45], [44.25], ["IQ-BA"]) == (["BG-001"], [RULE_AREA])


def test_smaller_area_wins_where_areas_overlap():
    assert assign([33.30], [44.43], [None]) == (["BG-002"], [RULE_AREA])


def test_point_outside_every_area_goes_to_the_nearest_branch_within_the_limit():
    # 0.05° north of Basra's branch: about 5.6 km away, no area there.
    assert assign([30.56], [47.78], [None], max_km=10) == (["BA-001"], [RULE_NEAREST])


def test_nearest_branch_beyond_the_limit_falls_back_to_the_governorate_main_branch():
    assert assign([30.56], [47.78], ["IQ-BG"], max_km=5) == (["BG-001"], [RULE_GOVERNORATE_MAIN])


def test_missing_location_goes_to_the_governorate_main_branch():
    assert assign([NAN, 33.3], [44.3, NAN], ["IQ-BA", "IQ-BG"]) == (
        ["BA-001", "BG-001"], [RULE_GOVERNORATE_MAIN, RULE_GOVERNORATE_MAIN])


def test_nothing_to_go_on_leaves_the_document_unassigned():
    assert assign([NAN, NAN, 36.0], [NAN, NAN, 40.0], [None, "IQ-NI", None]) == (
        [None, None, None], [RULE_UNASSIGNED] * 3)


def test_governorate_without_a_main_branch_is_not_guessed():
    branches = [BranchPoint(code="X-1", governorate="IQ-NI", lat=36.3, lon=43.1, is_main=False)]
    codes, rules = AreaIndex([], branches).assign_many(
        np.array([NAN]), np.array([NAN]), ["IQ-NI"], max_nearest_km=5)
    assert (codes, rules) == ([None], [RULE_UNASSIGNED])


def test_several_main_branches_for_a_governorate_resolve_to_the_first_code():
    branches = [("B", "IQ-BG", 33.3, 44.4, True), ("A", "IQ-BG", 33.3, 44.4, True)]
    codes, _ = AreaIndex([], branches).assign_many(
        np.array([NAN]), np.array([NAN]), ["IQ-BG"], max_nearest_km=5)
    assert codes == ["A"]


def test_mismatched_input_lengths_are_an_error():
    with pytest.raises(ValueError, match="same length"):
        assign([33.3, 33.4], [44.3], [None, None])


def test_an_empty_index_leaves_everything_unassigned():
    codes, rules = AreaIndex([], []).assign_many(
        np.array([33.3]), np.array([44.3]), ["IQ-BG"], max_nearest_km=50)
    assert (codes, rules) == ([None], [RULE_UNASSIGNED])


def test_requested_branch_is_a_pickup_choice():
    assignment = index().assign_one(33.45, 44.25, "IQ-BG", max_nearest_km=10,
                                    requested_branch="BA-001")
    assert (assignment.branch_code, assignment.rule) == ("BA-001", RULE_PICKUP_CHOICE)


def test_requesting_an_unknown_branch_is_an_error():
    with pytest.raises(UnknownBranchError) as error:
        index().assign_one(33.45, 44.25, "IQ-BG", max_nearest_km=10, requested_branch="ZZ-9")
    assert error.value.code == "ZZ-9"


def test_assign_one_without_a_location_uses_the_governorate():
    assignment = index().assign_one(None, None, "IQ-BA", max_nearest_km=10)
    assert (assignment.branch_code, assignment.rule) == ("BA-001", RULE_GOVERNORATE_MAIN)


def test_haversine_matches_known_arcs():
    assert haversine_km(33.0, 44.0, 34.0, 44.0) == pytest.approx(111.195, rel=1e-4)
    assert haversine_km(0.0, 0.0, 0.0, 90.0) == pytest.approx(10_007.5, rel=1e-4)
    assert haversine_km(33.0, 44.0, 33.0, 44.0) == 0


def test_haversine_broadcasts_over_arrays():
    distances = haversine_km(np.array([[33.0], [34.0]]), 44.0, 33.0, np.array([44.0, 45.0]))
    assert distances.shape == (2, 2)
    assert distances[1, 0] == pytest.approx(111.195, rel=1e-4)


def test_nearest_branches_are_ordered_by_distance_and_limited_to_k():
    nearby = nearest_branches(33.29, 44.42, BRANCHES, k=2)
    assert [b.code for b in nearby] == ["BG-002", "BG-001"]
    expected_km = haversine_km(33.29, 44.42, 33.30, 44.42)
    assert nearby[0].distance_km == pytest.approx(expected_km, abs=1e-3)
    assert nearby[0].distance_km < nearby[1].distance_km


def test_nearest_branches_without_a_location_is_empty():
    assert nearest_branches(NAN, 44.0, BRANCHES, k=3) == []


# --- the vectorised path agrees with a plain per-point loop -------------------------------


def math_haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def naive_assign(lat, lon, governorate, areas, branches, max_km):
    """Per point: every area by hand, then every branch by hand, then the governorate."""
    if not (math.isnan(lat) or math.isnan(lon)):
        point = Point(lon, lat)
        inside = [(polygon.area, code) for code, polygon in areas if polygon.contains(point)]
        if inside:
            return min(inside)[1], RULE_AREA
        distance, code = min((math_haversine_km(lat, lon, b[2], b[3]), b[0]) for b in branches)
        if distance <= max_km:
            return code, RULE_NEAREST
    mains = sorted(b[0] for b in branches if b[4] and b[1] == governorate)
    return (mains[0], RULE_GOVERNORATE_MAIN) if mains else (None, RULE_UNASSIGNED)


def random_world(rng):
    """Voronoi cells over part of Baghdad, small circles on top, branches in and around them."""
    sites = MultiPoint([(rng.uniform(44.2, 44.6), rng.uniform(33.1, 33.5)) for _ in range(40)])
    frame = box(44.2, 33.1, 44.6, 33.5)
    cells = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=frame))
    areas = [(f"C-{i:02d}", cell.intersection(frame)) for i, cell in enumerate(cells)]
    areas += [(f"S-{i}", Point(rng.uniform(44.25, 44.55), rng.uniform(33.15, 33.45))
               .buffer(0.01 + 0.01 * i)) for i in range(5)]
    branches = [(f"B-{i:02d}", rng.choice(["IQ-BG", "IQ-DI", "IQ-AN"]), rng.uniform(32.9, 33.7),
                 rng.uniform(44.0, 44.8), i < 3) for i in range(30)]
    return areas, branches


def test_vectorised_assignment_agrees_with_a_naive_loop_on_10000_random_points():
    rng = random.Random(20240601)
    areas, branches = random_world(rng)
    n = 10_000
    lats = [NAN if rng.random() < 0.05 else rng.uniform(32.8, 33.8) for _ in range(n)]
    lons = [rng.uniform(43.9, 44.9) for _ in range(n)]
    governorates = [rng.choice(["IQ-BG", "IQ-DI", "IQ-AN", "IQ-BA", None]) for _ in range(n)]
    codes, rules = AreaIndex(areas, branches).assign_many(
        np.array(lats), np.array(lons), governorates, max_nearest_km=8.0)
    expected = [naive_assign(lat, lon, g, areas, branches, 8.0)
                for lat, lon, g in zip(lats, lons, governorates, strict=True)]
    assert list(zip(codes, rules, strict=True)) == expected
    assert {RULE_AREA, RULE_NEAREST, RULE_GOVERNORATE_MAIN, RULE_UNASSIGNED} <= set(rules)


def test_demo_data_assigns_each_capital_to_its_own_main_branch():
    branches = demo_branches()
    index = AreaIndex(demo_areas(branches), branches)
    mains = [b for b in branches if b.is_main]
    codes, rules = index.assign_many(np.array([b.lat for b in mains]),
                                     np.array([b.lon for b in mains]),
                                     [b.governorate for b in mains], max_nearest_km=25)
    assert codes == [b.code for b in mains]
    assert set(rules) == {RULE_AREA}


def test_grid_lookup_agrees_with_querying_the_strtree_point_by_point():
    rng = random.Random(7)
    areas, branches = random_world(rng)
    index = AreaIndex(areas, branches)
    vertices = np.array([xy for _, polygon in areas for xy in polygon.exterior.coords])
    lattice_lon, lattice_lat = np.meshgrid(np.linspace(44.2, 44.6, 101),
                                           np.linspace(33.1, 33.5, 101))
    lons = np.concatenate([vertices[:, 0], lattice_lon.ravel(),
                           [rng.uniform(44.1, 44.7) for _ in range(20_000)], [NAN]])
    lats = np.concatenate([vertices[:, 1], lattice_lat.ravel(),
                           [rng.uniform(33.0, 33.6) for _ in range(20_000)], [33.3]])
    grid, tree = index.area_hits(lats, lons), index.area_hits_strtree(lats, lons)
    np.testing.assert_array_equal(grid, tree)
    assert (grid >= 0).sum() > 15_000
