"""Demo branches and service areas for seed data: a main branch in every governorate capital,
eight more across Baghdad, Voronoi areas inside Baghdad and whole governorates elsewhere.

The governorate outlines in `routing/data/governorates.geojson` are hand-drawn simplifications
(10–25 vertices, shared borders drawn from the same vertices so neighbours do not overlap); they
are good enough to route demo documents, not to draw an official map.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import msgspec
import shapely
from shapely.geometry import MultiPoint, shape

from routing.areas import Polygonal, ServiceArea, polygonal_part

DEFAULT_GOVERNORATES_CSV = (Path(__file__).parents[1] / "delivery" / "sites" / "data"
                            / "iraq_governorates.csv")
DEFAULT_OUTLINES = Path(__file__).parent / "data" / "governorates.geojson"

BAGHDAD = "IQ-BG"
HALABJA_NAME = "Halabja"
HALABJA_CODE_PREFIX = "HJ"  # Halabja has no ISO 3166-2 code to take a prefix from


class OpeningHours(msgspec.Struct, frozen=True, kw_only=True):
    """Opening hours for some days of the week, local time (Asia/Baghdad)."""

    days: tuple[str, ...]
    open: str
    close: str


WORKING_WEEK = (
    OpeningHours(days=("sunday", "monday", "tuesday", "wednesday", "thursday"),
                 open="08:00", close="14:00"),
)
MAIN_BRANCH_HOURS = (
    *WORKING_WEEK,
    OpeningHours(days=("saturday",), open="09:00", close="13:00"),
)


class DemoBranch(msgspec.Struct, frozen=True, kw_only=True):
    """A demo post-office branch; `governorate` is the ISO 3166-2 code, None for Halabja."""

    code: str
    name_ar: str
    name_en: str
    name_ckb: str
    governorate: str | None
    governorate_name: str
    lat: float
    lon: float
    opening_hours: tuple[OpeningHours, ...]
    is_main: bool


class _Neighbourhood(msgspec.Struct, frozen=True):
    name_en: str
    name_ar: str
    name_ckb: str
    lat: float
    lon: float


# Approximate centres of well-known Baghdad districts.
BAGHDAD_NEIGHBOURHOODS = (
    _Neighbourhood("Karkh", "الكرخ", "کەرخ", 33.3200, 44.3800),
    _Neighbourhood("Rusafa", "الرصافة", "ڕەسافە", 33.3560, 44.4400),
    _Neighbourhood("Adhamiyah", "الأعظمية", "ئەعزەمیە", 33.3720, 44.3600),
    _Neighbourhood("Kadhimiyah", "الكاظمية", "کازمیە", 33.3800, 44.3380),
    _Neighbourhood("Mansour", "المنصور", "مەنسوور", 33.3150, 44.3500),
    _Neighbourhood("Karrada", "الكرادة", "کەڕادە", 33.3050, 44.4200),
    _Neighbourhood("Sadr City", "مدينة الصدر", "شاری سەدر", 33.3920, 44.4550),
    _Neighbourhood("Dora", "الدورة", "دۆرە", 33.2520, 44.3900),
)


def demo_branches(
    governorates_csv: Path = DEFAULT_GOVERNORATES_CSV, *, halabja_code: str | None = None
) -> list[DemoBranch]:
    """A main branch in each governorate capital, then eight more branches across Baghdad.

    Halabja's branch gets `governorate=halabja_code` (None by default: the CSV has no code).
    """
    rows = _read_csv(governorates_csv)
    mains = [_main_branch(row, halabja_code) for row in rows]
    baghdad_prefix = _code_prefix(BAGHDAD, "Baghdad")
    extra = [
        _neighbourhood_branch(f"{baghdad_prefix}-{number:03d}", place)
        for number, place in enumerate(BAGHDAD_NEIGHBOURHOODS, start=2)
    ]
    return mains + extra


def _read_csv(path: Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _code_prefix(iso_code: str | None, name_en: str) -> str:
    if iso_code:
        return iso_code.removeprefix("IQ-")
    if name_en == HALABJA_NAME:
        return HALABJA_CODE_PREFIX
    raise ValueError(f"governorate {name_en!r} has no ISO code")


def _main_branch(row: dict[str, str], halabja_code: str | None) -> DemoBranch:
    iso_code = row["iso_code"].strip() or None
    return DemoBranch(
        code=f"{_code_prefix(iso_code, row['name_en'])}-001",
        name_ar=f"مكتب بريد {row['name_ar']} الرئيسي",
        name_en=f"{row['capital_en']} Main Post Office",
        name_ckb=f"پۆستەخانەی سەرەکیی {row['name_ku']}",
        governorate=iso_code or (halabja_code if row["name_en"] == HALABJA_NAME else None),
        governorate_name=row["name_en"],
        lat=float(row["lat"]), lon=float(row["lon"]),
        opening_hours=MAIN_BRANCH_HOURS, is_main=True,
    )


def _neighbourhood_branch(code: str, place: _Neighbourhood) -> DemoBranch:
    return DemoBranch(
        code=code,
        name_ar=f"مكتب بريد {place.name_ar}",
        name_en=f"{place.name_en} Post Office",
        name_ckb=f"پۆستەخانەی {place.name_ckb}",
        governorate=BAGHDAD, governorate_name="Baghdad",
        lat=place.lat, lon=place.lon,
        opening_hours=WORKING_WEEK, is_main=False,
    )


def governorate_outlines(path: Path = DEFAULT_OUTLINES) -> dict[str, Polygonal]:
    """English governorate name → rough outline (lon/lat)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return {f["properties"]["name_en"]: shape(f["geometry"]) for f in document["features"]}


def demo_areas(
    branches: list[DemoBranch], outlines: dict[str, Polygonal] | None = None
) -> list[ServiceArea]:
    """Voronoi cells of the Baghdad branches inside Baghdad; a whole governorate elsewhere."""
    outlines = governorate_outlines() if outlines is None else outlines
    baghdad = [b for b in branches if b.governorate_name == "Baghdad"]
    areas = baghdad_cells(baghdad, outlines["Baghdad"])
    for branch in branches:
        if branch.is_main and branch.governorate_name != "Baghdad":
            areas.append(ServiceArea(branch_code=branch.code,
                                     polygon=outlines[branch.governorate_name]))
    return areas


def baghdad_cells(branches: list[DemoBranch], outline: Polygonal) -> list[ServiceArea]:
    """One Voronoi cell per branch, clipped to the outline (cells follow input order)."""
    points = MultiPoint([(b.lon, b.lat) for b in branches])
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=outline, ordered=True))
    clipped = shapely.intersection(cells, outline)
    return [ServiceArea(branch_code=b.code, polygon=_polygon(cell))
            for b, cell in zip(branches, clipped, strict=True)]


def _polygon(geometry: Any) -> Polygonal:
    polygon = polygonal_part(geometry)
    if polygon is None:
        raise ValueError("a Voronoi cell vanished when clipped to its governorate")
    return polygon

