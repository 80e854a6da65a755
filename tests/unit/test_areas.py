import itertools
import math

import msgspec
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from routing.areas import (
    InvalidAreaFile,
    ServiceArea,
    area_km2,
    areas_to_feature_collection,
    find_overlaps,
    geometry_from_geojson,
    geometry_from_wkb,
    geometry_to_geojson,
    geometry_to_wkb,
    parse_geojson_areas,
)
from routing.demo_areas import demo_areas, demo_branches, governorate_outlines

KM_PER_DEGREE = 111.195  # mean Earth radius × π / 180


def square(lon, lat, size=0.1):
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def feature(ring_or_rings, code="BG-001", kind="Polygon"):
    rings = ring_or_rings if kind == "MultiPolygon" else [ring_or_rings]
    return {"type": "Feature", "properties": {"branch_code": code},
            "geometry": {"type": kind, "coordinates": rings}}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def planar_km2(width_deg, height_deg, mid_lat):
    width_km = width_deg * KM_PER_DEGREE * math.cos(math.radians(mid_lat))
    return width_km * height_deg * KM_PER_DEGREE


# --- accepted input -----------------------------------------------------------------------


def test_valid_areas_in_json_text_are_accepted_in_order():
    text = msgspec.json.encode(collection(feature(square(44.0, 33.0)),
                                          feature(square(44.2, 33.0), "BG-002")))
    result = parse_geojson_areas(text)
    assert [a.branch_code for a in result.accepted] == ["BG-001", "BG-002"]
    assert result.refused == () and result.overlaps == () and result.repaired == ()
    assert result.accepted[0].polygon.contains(Point(44.05, 33.05))


def test_multipolygon_with_a_hole_is_accepted():
    outer, hole = square(44.0, 33.0, 0.3), square(44.1, 33.1, 0.1)[::-1]
    result = parse_geojson_areas(collection(
        feature([[outer, hole], [square(45.0, 33.0)]], kind="MultiPolygon")))
    polygon = result.accepted[0].polygon
    assert isinstance(polygon, MultiPolygon)
    assert not polygon.contains(Point(44.15, 33.15)) and polygon.contains(Point(44.05, 33.05))


def test_known_branch_codes_accept_listed_codes():
    result = parse_geojson_areas(collection(feature(square(44.0, 33.0))),
                                 known_branch_codes={"BG-001"})
    assert len(result.accepted) == 1


# --- refused features ---------------------------------------------------------------------


def test_missing_branch_code_is_refused_with_its_feature_pointer():
    nameless = feature(square(44.2, 33.0))
    del nameless["properties"]["branch_code"]
    result = parse_geojson_areas(collection(feature(square(44.0, 33.0)), nameless))
    assert [a.branch_code for a in result.accepted] == ["BG-001"]
    (refused,) = result.refused
    assert refused.index == 1
    assert refused.pointer == "/features/1/properties/branch_code"
    assert "missing branch_code" in refused.reason


def test_unknown_branch_code_is_refused():
    result = parse_geojson_areas(collection(feature(square(44.0, 33.0), "XX-999")),
                                 known_branch_codes={"BG-001"})
    assert result.accepted == ()
    assert result.refused[0].pointer == "/features/0/properties/branch_code"
    assert "XX-999" in result.refused[0].reason


def test_second_area_for_the_same_branch_is_refused():
    result = parse_geojson_areas(collection(feature(square(44.0, 33.0)),
                                            feature(square(45.0, 33.0))))
    assert len(result.accepted) == 1
    assert result.refused[0].index == 1 and "/features/0" in result.refused[0].reason


def test_point_geometry_is_refused_as_the_wrong_type():
    point = {"type": "Feature", "properties": {"branch_code": "BG-001"},
             "geometry": {"type": "Point", "coordinates": [44.0, 33.0]}}
    (refused,) = parse_geojson_areas(collection(point)).refused
    assert refused.pointer == "/features/0/geometry"
    assert "Point" in refused.reason


def test_ring_with_three_positions_is_refused():
    ring = [[44.0, 33.0], [44.1, 33.0], [44.0, 33.0]]
    (refused,) = parse_geojson_areas(collection(feature(ring))).refused
    assert refused.pointer == "/features/0/geometry/coordinates/0"
    assert "at least 4 positions" in refused.reason


def test_unclosed_ring_is_refused():
    ring = [*square(44.0, 33.0)[:-1], [44.0, 33.05]]
    (refused,) = parse_geojson_areas(collection(feature(ring))).refused
    assert "not closed" in refused.reason


def test_coordinates_outside_iraq_are_refused_naming_the_position():
    damascus = [[36.3, 33.5], [36.4, 33.5], [36.4, 33.6], [36.3, 33.5]]
    bad = feature([[square(44.0, 33.0)], [square(44.5, 33.0)], [damascus]], kind="MultiPolygon")
    (refused,) = parse_geojson_areas(collection(bad)).refused
    assert refused.pointer == "/features/0/geometry/coordinates/2/0/0"
    assert "outside Iraq" in refused.reason


def test_latitude_first_coordinates_are_refused_with_a_hint():
    swapped = [[lat, lon] for lon, lat in square(44.0, 33.0)]
    (refused,) = parse_geojson_areas(collection(feature(swapped))).refused
    assert "longitude first" in refused.reason


def test_one_bad_feature_does_not_stop_the_others():
    result = parse_geojson_areas(collection(
        feature(square(36.0, 33.0), "SY-001"), feature(square(44.0, 33.0), "BG-001")))
    assert [a.branch_code for a in result.accepted] == ["BG-001"]
    assert [r.branch_code for r in result.refused] == ["SY-001"]


@pytest.mark.parametrize("document", [{"type": "Feature"}, [], {"type": "FeatureCollection"}])
def test_a_file_that_is_not_a_feature_collection_is_an_error(document):
    with pytest.raises(InvalidAreaFile):
        parse_geojson_areas(document)


def test_text_that_is_not_json_is_an_error():
    with pytest.raises(InvalidAreaFile) as error:
        parse_geojson_areas("{not json")
    assert "JSON" in error.value.reason


# --- repair of invalid rings --------------------------------------------------------------


def test_bow_tie_with_a_tiny_twist_is_repaired():
    # The closing edge crosses the first edge, leaving a lobe of ~0.0001 of the square's area.
    twisted = [[44.0, 33.0], [44.1, 33.0], [44.1, 33.1], [44.0, 33.1], [44.001, 32.999],
               [44.0, 33.0]]
    assert not Polygon(twisted).is_valid
    result = parse_geojson_areas(collection(feature(twisted)))
    (area,) = result.accepted
    assert area.polygon.is_valid
    assert area_km2(area.polygon) == pytest.approx(planar_km2(0.1, 0.1, 33.05), rel=0.01)
    (repaired,) = result.repaired
    assert repaired.branch_code == "BG-001" and 0 < repaired.area_change_pct < 1


def test_symmetric_bow_tie_is_refused_with_its_pointer():
    bow_tie = [[44.0, 33.0], [44.1, 33.1], [44.1, 33.0], [44.0, 33.1], [44.0, 33.0]]
    result = parse_geojson_areas(collection(feature(square(45.0, 33.0), "BG-002"),
                                            feature(bow_tie)))
    (refused,) = result.refused
    assert refused.pointer == "/features/1/geometry"
    assert "Self-intersection" in refused.reason and "redraw" in refused.reason
    assert result.repaired == ()


def test_spike_with_no_area_is_repaired_without_changing_the_area():
    spike = [[44.0, 33.0], [44.1, 33.0], [44.2, 33.0], [44.1, 33.0], [44.1, 33.1],
             [44.0, 33.1], [44.0, 33.0]]
    result = parse_geojson_areas(collection(feature(spike)))
    assert result.refused == ()
    assert result.repaired[0].area_change_pct == pytest.approx(0, abs=0.01)


# --- overlaps and areas -------------------------------------------------------------------


def test_overlap_between_two_areas_is_reported_in_km2():
    result = parse_geojson_areas(collection(
        feature(square(44.0, 33.0), "BG-002"), feature(square(44.09, 33.0), "BG-001")))
    (overlap,) = result.overlaps
    assert (overlap.branch_a, overlap.branch_b) == ("BG-001", "BG-002")
    assert overlap.area_km2 == pytest.approx(planar_km2(0.01, 0.1, 33.05), rel=0.005)


def test_slivers_and_touching_edges_are_not_overlaps():
    sliver = 1e-6  # about 0.0001 km wide: a digitising error, not a conflict
    areas = [ServiceArea(branch_code="A", polygon=box(44.0, 33.0, 44.1, 33.1)),
             ServiceArea(branch_code="B", polygon=box(44.1 - sliver, 33.0, 44.2, 33.1)),
             ServiceArea(branch_code="C", polygon=box(44.0, 33.1, 44.1, 33.2))]
    assert find_overlaps(areas) == ()
    assert len(find_overlaps(areas, min_km2=0.0)) == 1


def test_area_of_a_small_box_matches_the_planar_approximation():
    assert area_km2(box(44.0, 33.0, 44.1, 33.1)) == pytest.approx(
        planar_km2(0.1, 0.1, 33.05), rel=0.001)


# --- serialisation ------------------------------------------------------------------------


def test_wkb_round_trip_keeps_the_geometry():
    polygon = MultiPolygon([box(44.0, 33.0, 44.1, 33.1), box(45.0, 33.0, 45.1, 33.1)])
    data = geometry_to_wkb(polygon)
    assert isinstance(data, bytes)
    assert geometry_from_wkb(memoryview(data)).equals_exact(polygon, 0)


def test_wkb_of_a_point_is_refused_as_an_area():
    with pytest.raises(ValueError, match="Point"):
        geometry_from_wkb(shapely.to_wkb(Point(44.0, 33.0)))


def test_geojson_round_trip_keeps_the_geometry():
    polygon = box(44.0, 33.0, 44.1, 33.1)
    obj = msgspec.json.decode(msgspec.json.encode(geometry_to_geojson(polygon)))
    assert obj["type"] == "Polygon"
    assert geometry_from_geojson(obj).equals(polygon)


def test_feature_collection_written_is_read_back_unchanged():
    areas = [ServiceArea(branch_code="A", polygon=box(44.0, 33.0, 44.1, 33.1))]
    result = parse_geojson_areas(msgspec.json.encode(areas_to_feature_collection(areas)))
    (read,) = result.accepted
    assert read.branch_code == "A" and read.polygon.equals(areas[0].polygon)
    assert result.refused == ()


# --- demo governorate outlines ------------------------------------------------------------


def test_every_capital_lies_in_its_own_governorate_outline():
    outlines = governorate_outlines()
    mains = [b for b in demo_branches() if b.is_main]
    assert len(mains) == len(outlines) == 19
    for branch in mains:
        capital = Point(branch.lon, branch.lat)
        containing = [name for name, outline in outlines.items() if outline.contains(capital)]
        assert containing == [branch.governorate_name]


def test_governorate_outlines_barely_overlap_and_leave_no_gaps():
    outlines = governorate_outlines()
    for (name_a, a), (name_b, b) in itertools.combinations(outlines.items(), 2):
        assert area_km2(a.intersection(b)) < 1.0, (name_a, name_b)
    iraq = shapely.union_all(list(outlines.values()))
    assert isinstance(iraq, Polygon) and len(iraq.interiors) == 0
    assert 400_000 < area_km2(iraq) < 470_000  # Iraq is about 438,000 km²


def test_each_outline_is_simple_and_valid():
    for name, outline in governorate_outlines().items():
        assert outline.is_valid, name
        assert 10 <= len(outline.exterior.coords) - 1 <= 25, name


def test_demo_areas_import_without_refusals_or_overlaps():
    branches = demo_branches()
    areas = demo_areas(branches)
    result = parse_geojson_areas(areas_to_feature_collection(areas),
                                 known_branch_codes={b.code for b in branches})
    assert len(result.accepted) == len(branches)
    assert result.refused == () and result.overlaps == ()


def test_each_demo_branch_lies_in_its_own_area():
    branches = {b.code: b for b in demo_branches()}
    for area in demo_areas(list(branches.values())):
        branch = branches[area.branch_code]
        assert area.polygon.contains(Point(branch.lon, branch.lat)), branch.code


def test_baghdad_cells_tile_the_baghdad_outline():
    branches = demo_branches()
    cells = [a.polygon for a in demo_areas(branches) if a.branch_code.startswith("BG-")]
    assert len(cells) == 9
    baghdad = governorate_outlines()["Baghdad"]
    assert shapely.union_all(cells).symmetric_difference(baghdad).area < 1e-9


def test_demo_branches_have_unique_codes_and_one_main_per_governorate():
    branches = demo_branches()
    assert len({b.code for b in branches}) == len(branches) == 27
    mains = [b.governorate_name for b in branches if b.is_main]
    assert sorted(mains) == sorted(set(mains))
    assert all(b.opening_hours and b.name_ar and b.name_ckb for b in branches)


def test_halabja_branch_has_no_governorate_code_unless_one_is_given():
    (halabja,) = [b for b in demo_branches() if b.governorate_name == "Halabja"]
    assert halabja.governorate is None and halabja.code == "HJ-001"
    (local,) = [b for b in demo_branches(halabja_code="IQ-HAL") if b.governorate_name == "Halabja"]
    assert local.governorate == "IQ-HAL"


def test_opening_hours_serialise_to_plain_data():
    hours = msgspec.json.decode(msgspec.json.encode(demo_branches()[0].opening_hours))
    assert hours[0] == {"days": ["sunday", "monday", "tuesday", "wednesday", "thursday"],
                        "open": "08:00", "close": "14:00"}
