"""Whether a point lies in the governorate an agency named, within a tolerance: the outlines
(`routing/data/governorates.geojson`) are hand-drawn simplifications, off by a few km along
borders, so each is widened by `BORDER_TOLERANCE_KM` before a point is judged outside it."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from delivery.sites.geo import HALABJA_CODE
from routing.areas import EARTH_RADIUS_KM
from routing.demo_areas import DEFAULT_OUTLINES

BORDER_TOLERANCE_KM = 10.0
_KM_PER_DEGREE = EARTH_RADIUS_KM * np.pi / 180  # of latitude; a degree of longitude is less


@functools.cache
def widened_outlines(path: Path = DEFAULT_OUTLINES,
                     tolerance_km: float = BORDER_TOLERANCE_KM) -> dict[str, shapely.Geometry]:
    """Governorate code → its outline widened by the tolerance (prepared for fast tests)."""
    features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
    outlines = {}
    for feature in features:
        # Widened by the tolerance in degrees of latitude: at least that many km in every
        # direction, since a degree of longitude is shorter in Iraq.
        outline = shape(feature["geometry"]).buffer(tolerance_km / _KM_PER_DEGREE)
        shapely.prepare(outline)
        outlines[_code(feature["properties"])] = outline
    return outlines


def outside_claimed(governorates: Sequence[str], lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """For each point (NaN: none), whether it lies clearly outside the governorate named."""
    outlines = widened_outlines()
    outside = np.zeros(len(governorates), dtype=bool)
    names = np.asarray(governorates, dtype=object)
    located = np.isfinite(lats) & np.isfinite(lons)
    for code in set(names[located]):
        if (outline := outlines.get(code)) is None:
            continue
        rows = np.flatnonzero(located & (names == code))
        outside[rows] = ~shapely.contains_xy(outline, lons[rows], lats[rows])
    return outside


def _code(properties: dict) -> str:
    return properties.get("iso_code") or HALABJA_CODE
