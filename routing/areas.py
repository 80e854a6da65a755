"""Branch service areas: import from GeoJSON with validation, overlaps, area and serialisation.

Coordinates are WGS84 in GeoJSON order (longitude, latitude) everywhere in this module.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

EARTH_RADIUS_KM = 6371.0088
IRAQ_MIN_LAT, IRAQ_MAX_LAT = 29.0, 37.5
IRAQ_MIN_LON, IRAQ_MAX_LON = 38.7, 48.8
MIN_KEPT_AREA_RATIO = 0.99  # a repair may change the drawn area by at most 1 %
SLIVER_KM2 = 0.01  # overlaps smaller than this are digitising noise, not a conflict
POLYGONAL_TYPES = ("Polygon", "MultiPolygon")

Polygonal = Polygon | MultiPolygon


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """The polygon a branch serves (a frozen dataclass: shapely geometry is not a msgspec type)."""

    branch_code: str
    polygon: Polygonal


class RefusedFeature(msgspec.Struct, frozen=True, kw_only=True):
    """A feature that was not imported, with a JSON pointer to the offending part."""

    index: int
    pointer: str
    branch_code: str | None
    reason: str


class RepairedArea(msgspec.Struct, frozen=True, kw_only=True):
    """A feature whose invalid rings were repaired with `shapely.make_valid`."""

    index: int
    branch_code: str
    area_change_pct: float


class AreaOverlap(msgspec.Struct, frozen=True, kw_only=True):
    """Two areas that overlap; `branch_a` sorts before `branch_b`."""

    branch_a: str
    branch_b: str
    area_km2: float


@dataclass(frozen=True, slots=True)
class AreaImport:
    """The outcome of reading a GeoJSON file of service areas."""

    accepted: tuple[ServiceArea, ...]
    refused: tuple[RefusedFeature, ...]
    overlaps: tuple[AreaOverlap, ...]
    repaired: tuple[RepairedArea, ...]


class InvalidAreaFile(ValueError):
    """The file as a whole is not a GeoJSON FeatureCollection."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer = pointer
        self.reason = reason


class _Refusal(Exception):
    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason


# --- import -------------------------------------------------------------------------------


def parse_geojson_areas(
    text_or_obj: str | bytes | dict[str, Any],
    *,
    known_branch_codes: Collection[str] | None = None,
) -> AreaImport:
    """Validate a FeatureCollection of branch areas; refuse, repair and report overlaps."""
    features = _features(text_or_obj)
    accepted: list[ServiceArea] = []
    refused: list[RefusedFeature] = []
    repaired: list[RepairedArea] = []
    first_index: dict[str, int] = {}
    for index, feature in enumerate(features):
        code = _raw_branch_code(feature)
        try:
            area, repair = _read_feature(feature, index, known_branch_codes, first_index)
        except _Refusal as refusal:
            refused.append(_refused(index, code, refusal))
            continue
        first_index[area.branch_code] = index
        accepted.append(area)
        if repair is not None:
            repaired.append(repair)
    return AreaImport(
        accepted=tuple(accepted), refused=tuple(refused),
        overlaps=find_overlaps(accepted), repaired=tuple(repaired),
    )


def _features(text_or_obj: str | bytes | dict[str, Any]) -> list[Any]:
    document = _decoded(text_or_obj)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidAreaFile("/type", "expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise InvalidAreaFile("/features", "expected a list of features")
    return features


def _decoded(text_or_obj: str | bytes | dict[str, Any]) -> Any:
    if not isinstance(text_or_obj, str | bytes):
        return text_or_obj
    try:
        return msgspec.json.decode(text_or_obj)
    except msgspec.DecodeError as error:
        raise InvalidAreaFile("", f"not valid JSON: {error}") from None


def _refused(index: int, code: str | None, refusal: _Refusal) -> RefusedFeature:
    pointer = f"/features/{index}{refusal.pointer}"
    return RefusedFeature(index=index, pointer=pointer, branch_code=code, reason=refusal.reason)


def _raw_branch_code(feature: Any) -> str | None:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    code = properties.get("branch_code") if isinstance(properties, dict) else None
    return code if isinstance(code, str) else None


def _read_feature(
    feature: Any, index: int, known: Collection[str] | None, first_index: dict[str, int]
) -> tuple[ServiceArea, RepairedArea | None]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _Refusal("", "expected a GeoJSON Feature")
    code = _branch_code(feature, known, first_index)
    geometry = _geometry(feature.get("geometry"))
    polygon, change_pct = _repaired(geometry)
    repair = None if change_pct is None else RepairedArea(
        index=index, branch_code=code, area_change_pct=change_pct
    )
    return ServiceArea(branch_code=code, polygon=polygon), repair


def _branch_code(
    feature: dict[str, Any], known: Collection[str] | None, first_index: dict[str, int]
) -> str:
    code = _raw_branch_code(feature)
    pointer = "/properties/branch_code"
    if code is None or not code.strip():
        raise _Refusal(pointer, "missing branch_code property (a non-empty string)")
    if known is not None and code not in known:
        raise _Refusal(pointer, f"unknown branch code {code!r}")
    if code in first_index:
        raise _Refusal(pointer, f"branch code {code!r} already has an area at "
                                f"/features/{first_index[code]}; use one MultiPolygon")
    return code


def _geometry(geometry: Any) -> Polygonal:
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONAL_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise _Refusal("/geometry", f"geometry must be a Polygon or MultiPolygon, not {kind}")
    polygons = _polygon_coordinates(geometry)
    for number, rings in enumerate(polygons):
        prefix = f"/geometry/coordinates/{number}" if len(polygons) > 1 else "/geometry/coordinates"
        _check_polygon_rings(rings, prefix)
    return shape({"type": geometry["type"], "coordinates": geometry["coordinates"]})


def _polygon_coordinates(geometry: dict[str, Any]) -> list[Any]:
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list | tuple) or not coordinates:
        raise _Refusal("/geometry/coordinates", "coordinates must be a non-empty list")
    polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
    if not all(isinstance(rings, list | tuple) and rings for rings in polygons):
        raise _Refusal("/geometry/coordinates", "each polygon must be a non-empty list of rings")
    return polygons


def _check_polygon_rings(rings: list[Any], prefix: str) -> None:
    for number, ring in enumerate(rings):
        pointer = f"{prefix}/{number}"
        positions = _ring_positions(ring, pointer)
        _check_ring_shape(positions, pointer)
        _check_inside_iraq(positions, pointer)


def _ring_positions(ring: Any, pointer: str) -> np.ndarray:
    if not isinstance(ring, list | tuple) or not all(_is_position(p) for p in ring):
        raise _Refusal(pointer, "a ring must be a list of [longitude, latitude] numbers")
    positions = np.array([p[:2] for p in ring], dtype=float).reshape(-1, 2)
    if not np.isfinite(positions).all():
        raise _Refusal(pointer, "coordinates must be finite numbers")
    return positions


def _is_position(position: Any) -> bool:
    return (
        isinstance(position, list | tuple) and len(position) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
    )


def _check_ring_shape(positions: np.ndarray, pointer: str) -> None:
    if len(positions) < 4:
        raise _Refusal(pointer, f"a ring needs at least 4 positions, this one has {len(positions)}")
    if not np.array_equal(positions[0], positions[-1]):
        raise _Refusal(pointer, "the ring is not closed (first and last positions differ)")


def _check_inside_iraq(positions: np.ndarray, pointer: str) -> None:
    lons, lats = positions[:, 0], positions[:, 1]
    inside = _within_iraq_box(lons, lats)
    if inside.all():
        return
    outside = int(np.flatnonzero(~inside)[0])
    hint = " (they look like latitude, longitude: GeoJSON wants longitude first)" if (
        _within_iraq_box(lats, lons).all()
    ) else ""
    lon, lat = positions[outside]
    raise _Refusal(f"{pointer}/{outside}",
                   f"position [{lon}, {lat}] lies outside Iraq (latitude {IRAQ_MIN_LAT}–"
                   f"{IRAQ_MAX_LAT}, longitude {IRAQ_MIN_LON}–{IRAQ_MAX_LON}){hint}")


def _within_iraq_box(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    return (
        (lats >= IRAQ_MIN_LAT) & (lats <= IRAQ_MAX_LAT)
        & (lons >= IRAQ_MIN_LON) & (lons <= IRAQ_MAX_LON)
    )


def _repaired(geometry: Polygonal) -> tuple[Polygonal, float | None]:
    """The geometry itself when valid, else its repair and the area change in percent."""
    if geometry.is_valid:
        return geometry, None
    repair = polygonal_part(shapely.make_valid(geometry))
    if repair is None:
        raise _Refusal("/geometry", f"invalid geometry ({shapely.is_valid_reason(geometry)}) "
                                    "and its repair is not a polygon")
    drawn_km2, repaired_km2 = area_km2(geometry), area_km2(repair)
    kept = min(drawn_km2, repaired_km2) / max(drawn_km2, repaired_km2, 1e-12)
    if kept < MIN_KEPT_AREA_RATIO:
        raise _Refusal("/geometry", f"invalid geometry ({shapely.is_valid_reason(geometry)}); "
                                    f"repairing it would change its area from {drawn_km2:.3f} "
                                    f"to {repaired_km2:.3f} km², please redraw it")
    return repair, round(100 * (repaired_km2 - drawn_km2) / drawn_km2, 3)


def polygonal_part(geometry: shapely.Geometry) -> Polygonal | None:
    """The polygons of a geometry (dropping zero-area lines and points), or None if none."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return None if geometry.is_empty else geometry
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, Polygon | MultiPolygon)]
    if not parts:
        return None
    union = shapely.union_all(parts)
    return union if isinstance(union, Polygon | MultiPolygon) else None


# --- measures -----------------------------------------------------------------------------


def _equal_area_xy(lonlat: np.ndarray) -> np.ndarray:
    # Lambert cylindrical equal-area projection: planar area equals area on the sphere.
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    return np.column_stack((EARTH_RADIUS_KM * lon, EARTH_RADIUS_KM * np.sin(lat)))


def area_km2(geometry: shapely.Geometry | np.ndarray) -> float | np.ndarray:
    """Area on the sphere in km² of a lon/lat geometry (or an array of them)."""
    return shapely.area(shapely.transform(geometry, _equal_area_xy))


def find_overlaps(
    areas: Sequence[ServiceArea], *, min_km2: float = SLIVER_KM2
) -> tuple[AreaOverlap, ...]:
    """Pairs of areas that overlap by at least `min_km2`, largest overlap first."""
    if len(areas) < 2:
        return ()
    polygons = np.array([area.polygon for area in areas], dtype=object)
    left, right = shapely.STRtree(polygons).query(polygons, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    overlap_km2 = area_km2(shapely.intersection(polygons[left], polygons[right]))
    found = [
        _overlap(areas[i].branch_code, areas[j].branch_code, float(km2))
        for i, j, km2 in zip(left, right, overlap_km2, strict=True)
        if km2 > 0 and km2 >= min_km2
    ]
    return tuple(sorted(found, key=lambda o: (-o.area_km2, o.branch_a, o.branch_b)))


def _overlap(code_a: str, code_b: str, km2: float) -> AreaOverlap:
    first, second = sorted((code_a, code_b))
    return AreaOverlap(branch_a=first, branch_b=second, area_km2=round(km2, 3))


# --- serialisation ------------------------------------------------------------------------


def geometry_to_wkb(geometry: Polygonal) -> bytes:
    """Binary WKB (2D) for a PostgreSQL bytea column."""
    return shapely.to_wkb(geometry, output_dimension=2)


def geometry_from_wkb(data: bytes | memoryview) -> Polygonal:
    """The polygon stored by `geometry_to_wkb`; refuses anything that is not polygonal."""
    geometry = shapely.from_wkb(bytes(data))
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise ValueError(f"expected a Polygon or MultiPolygon, got {geometry.geom_type}")
    return geometry


def geometry_to_geojson(geometry: Polygonal) -> dict[str, Any]:
    """A GeoJSON geometry object (lon/lat) with plain lists."""
    return msgspec.json.decode(shapely.to_geojson(geometry))


def geometry_from_geojson(obj: dict[str, Any]) -> Polygonal:
    """A polygon from a GeoJSON geometry object; refuses anything that is not polygonal."""
    geometry = shape(obj)
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise ValueError(f"expected a Polygon or MultiPolygon, got {geometry.geom_type}")
    return geometry


def areas_to_feature_collection(areas: Sequence[ServiceArea]) -> dict[str, Any]:
    """A FeatureCollection that `parse_geojson_areas` reads back."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"branch_code": area.branch_code},
             "geometry": geometry_to_geojson(area.polygon)}
            for area in areas
        ],
    }

