"""Which branch serves a document: its service area, else the nearest branch, else the main
branch of its governorate. Vectorised over many points at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import msgspec
import numpy as np
import shapely

from routing.areas import EARTH_RADIUS_KM, Polygonal, ServiceArea, area_km2

RULE_AREA = "area"
RULE_NEAREST = "nearest"
RULE_GOVERNORATE_MAIN = "governorate_main"
RULE_UNASSIGNED = "unassigned"
RULE_PICKUP_CHOICE = "pickup_choice"

_NO_BRANCH = -1
_NEAREST_CHUNK = 4096  # rows of the point × branch distance matrix computed at once


class BranchLike(Protocol):
    """Anything with these attributes can be indexed (a store row, a demo branch...)."""

    code: str
    governorate: str | None
    lat: float
    lon: float
    is_main: bool


class BranchPoint(msgspec.Struct, frozen=True, kw_only=True):
    """A branch as assignment sees it: a point, a governorate, and whether it is the main one."""

    code: str
    governorate: str | None
    lat: float
    lon: float
    is_main: bool = False


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    """The branch chosen for one document and the rule that chose it."""

    branch_code: str | None
    rule: str


class NearbyBranch(msgspec.Struct, frozen=True, kw_only=True):
    """A branch and its great-circle distance from a point."""

    code: str
    distance_km: float


class UnknownBranchError(ValueError):
    """A requested branch code is not among the indexed branches."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown branch code {code!r}")
        self.code = code


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km; arguments in degrees, broadcast like numpy arrays."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = np.radians(np.subtract(lon2, lon1)) / 2
    a = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def as_branch_point(branch: BranchLike | tuple[Any, ...]) -> BranchPoint:
    """A BranchPoint from a (code, governorate, lat, lon, is_main) tuple or a branch-like object."""
    if isinstance(branch, tuple):
        code, governorate, lat, lon, is_main = branch
    else:
        code, governorate, lat, lon = branch.code, branch.governorate, branch.lat, branch.lon
        is_main = branch.is_main
    return BranchPoint(code=code, governorate=governorate, lat=float(lat), lon=float(lon),
                       is_main=bool(is_main))


def nearest_branches(
    lat: float, lon: float, branches: Sequence[BranchLike | tuple[Any, ...]], k: int
) -> list[NearbyBranch]:
    """The k branches nearest to a point, nearest first (ties by code); none without a point."""
    points = [as_branch_point(b) for b in branches]
    if not points or k <= 0 or not (np.isfinite(lat) and np.isfinite(lon)):
        return []
    distances = haversine_km(lat, lon, [p.lat for p in points], [p.lon for p in points])
    order = np.lexsort(([p.code for p in points], distances))[:k]
    return [NearbyBranch(code=points[i].code, distance_km=round(float(distances[i]), 3))
            for i in order]


class AreaIndex:
    """Service areas (prepared, in an STRtree and a lookup grid) plus branch points, for
    assigning many points at once.

    Where areas overlap the smallest area wins (equal areas: the branch code first in sort
    order), so a small area drawn inside a large one keeps its points.
    """

    def __init__(
        self,
        areas: Iterable[ServiceArea | tuple[str, Polygonal]],
        branches: Iterable[BranchLike | tuple[Any, ...]],
    ) -> None:
        self._init_areas([_as_area(a) for a in areas])
        self._init_branches([as_branch_point(b) for b in branches])

    def _init_areas(self, areas: list[ServiceArea]) -> None:
        sizes = [float(area_km2(a.polygon)) for a in areas]
        ranked = sorted(range(len(areas)), key=lambda i: (sizes[i], areas[i].branch_code))
        self.polygons = np.array([areas[i].polygon for i in ranked], dtype=object)
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        self._grid = _CellGrid(self.polygons, self.tree)
        self._area_codes = [areas[i].branch_code for i in ranked]

    def _init_branches(self, branches: list[BranchPoint]) -> None:
        self.branches = tuple(branches)
        self._branch_lats = np.array([b.lat for b in branches], dtype=float)
        self._branch_lons = np.array([b.lon for b in branches], dtype=float)
        self._main_by_governorate = _main_branches(branches)
        self._branch_codes = {b.code for b in branches}

    def has_branch(self, code: str) -> bool:
        """Whether a branch of that code is indexed."""
        return code in self._branch_codes

    @property
    def area_codes(self) -> list[str]:
        """Branch code of each polygon, in priority order (index i belongs to polygons[i])."""
        return list(self._area_codes)

    def assign_many(
        self,
        lats: np.ndarray,
        lons: np.ndarray,
        governorates: Sequence[str | None],
        *,
        max_nearest_km: float,
    ) -> tuple[list[str | None], list[str]]:
        """Branch code and rule for every point; NaN coordinates mean "no location"."""
        lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
        if not (lats.shape == lons.shape == (len(governorates),)):
            raise ValueError("lats, lons and governorates must have the same length")
        codes = np.array([*self._area_codes, *(b.code for b in self.branches), None], dtype=object)
        chosen = np.full(len(lats), len(codes) - 1, dtype=np.intp)
        rules = np.full(len(lats), 3, dtype=np.int8)  # index into _RULES
        self._apply_areas(lats, lons, chosen, rules)
        self._apply_nearest(lats, lons, chosen, rules, max_nearest_km)
        self._apply_governorate_main(governorates, chosen, rules)
        return codes[chosen].tolist(), _RULES[rules].tolist()

    def area_hits(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Index into `polygons` of the winning area for each point, or -1 (through the grid)."""
        return self._grid.hits(np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))

    def area_hits_strtree(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Same answers as `area_hits`, by querying the STRtree with every point (slower)."""
        located = np.flatnonzero(np.isfinite(lats) & np.isfinite(lons))
        points = shapely.points(lons[located], lats[located])
        point_idx, polygon_idx = self.tree.query(points)
        return _first_containing(self.polygons, len(lats), located[point_idx], polygon_idx,
                                 lons, lats)

    def _apply_areas(self, lats, lons, chosen, rules) -> None:
        hits = self.area_hits(lats, lons)
        found = hits != _NO_BRANCH
        chosen[found], rules[found] = hits[found], 0

    def _apply_nearest(self, lats, lons, chosen, rules, max_km: float) -> None:
        pending = np.flatnonzero((rules == 3) & np.isfinite(lats) & np.isfinite(lons))
        if len(pending) == 0 or len(self.branches) == 0:
            return
        nearest, distance = self._nearest_branch(lats[pending], lons[pending])
        near = distance <= max_km
        chosen[pending[near]] = len(self._area_codes) + nearest[near]
        rules[pending[near]] = 1

    def _nearest_branch(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        best = np.empty(len(lats), dtype=np.intp)
        best_km = np.empty(len(lats), dtype=float)
        for start in range(0, len(lats), _NEAREST_CHUNK):
            rows = slice(start, start + _NEAREST_CHUNK)
            km = haversine_km(lats[rows, None], lons[rows, None],
                              self._branch_lats[None, :], self._branch_lons[None, :])
            best[rows] = np.argmin(km, axis=1)
            best_km[rows] = km[np.arange(len(km)), best[rows]]
        return best, best_km

    def _apply_governorate_main(self, governorates, chosen, rules) -> None:
        pending = np.flatnonzero(rules == 3)
        if len(pending) == 0:
            return
        # Look up each distinct governorate once; str(None) == "None" matches no branch.
        names = np.asarray(governorates, dtype=object)[pending].astype(str)
        distinct, inverse = np.unique(names, return_inverse=True)
        main = np.array([self._main_by_governorate.get(g, _NO_BRANCH) for g in distinct])[inverse]
        found = main != _NO_BRANCH
        chosen[pending[found]] = len(self._area_codes) + main[found]
        rules[pending[found]] = 2

    def assign_one(
        self,
        lat: float | None,
        lon: float | None,
        governorate: str | None,
        *,
        max_nearest_km: float,
        requested_branch: str | None = None,
    ) -> Assignment:
        """One document: the branch the citizen asked for, else the usual rules."""
        if requested_branch is not None:
            if requested_branch not in self._branch_codes:
                raise UnknownBranchError(requested_branch)
            return Assignment(branch_code=requested_branch, rule=RULE_PICKUP_CHOICE)
        lats = np.array([np.nan if lat is None else lat], dtype=float)
        lons = np.array([np.nan if lon is None else lon], dtype=float)
        codes, rules = self.assign_many(lats, lons, [governorate], max_nearest_km=max_nearest_km)
        return Assignment(branch_code=codes[0], rule=rules[0])

    def nearest_branches(self, lat: float, lon: float, k: int) -> list[NearbyBranch]:
        """The k indexed branches nearest to a point."""
        return nearest_branches(lat, lon, self.branches, k)


_RULES = np.array([RULE_AREA, RULE_NEAREST, RULE_GOVERNORATE_MAIN, RULE_UNASSIGNED],
                  dtype=object)


def _as_area(area: ServiceArea | tuple[str, Polygonal]) -> ServiceArea:
    if isinstance(area, ServiceArea):
        return area
    code, polygon = area
    return ServiceArea(branch_code=code, polygon=polygon)


def _main_branches(branches: list[BranchPoint]) -> dict[str, int]:
    """Governorate code → index of its main branch (first by code if several claim it)."""
    main: dict[str, int] = {}
    for index in sorted(range(len(branches)), key=lambda i: branches[i].code, reverse=True):
        branch = branches[index]
        if branch.is_main and branch.governorate:
            main[branch.governorate] = index
    return main


def _first_containing(polygons: np.ndarray, n_points: int, point_idx: np.ndarray,
                      polygon_idx: np.ndarray, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """For candidate (point, polygon) pairs: the lowest polygon index containing each point."""
    inside = shapely.contains_xy(polygons[polygon_idx], lons[point_idx], lats[point_idx])
    hits = np.full(n_points, _NOT_FOUND, dtype=np.intp)
    # Polygons are ranked by priority, so the lowest polygon index containing a point wins.
    np.minimum.at(hits, point_idx[inside], polygon_idx[inside])
    hits[hits == _NOT_FOUND] = _NO_BRANCH
    return hits


_NOT_FOUND = np.iinfo(np.intp).max
_MIXED = -2


class _CellGrid:
    """A uniform grid over the areas, built once with the STRtree.

    A cell lying wholly inside its highest-priority polygon answers every point in it without a
    geometry test; the few cells that a border crosses keep their candidate polygons, and only
    their points are tested with `contains_xy`. Creating a shapely Point per document costs
    more than the whole lookup, so points stay plain coordinates.
    """

    def __init__(self, polygons: np.ndarray, tree: shapely.STRtree) -> None:
        self.polygons = polygons
        self._shape_grid(polygons)
        boxes = self._cell_boxes()
        cell_idx, polygon_idx = tree.query(boxes, predicate="intersects")
        self._classify_cells(boxes, cell_idx, polygon_idx)

    def _shape_grid(self, polygons: np.ndarray) -> None:
        bounds = shapely.total_bounds(polygons) if len(polygons) else np.array([0, 0, 1, 1.0])
        self.x0, self.y0 = bounds[0], bounds[1]
        width, height = max(bounds[2] - bounds[0], 1e-9), max(bounds[3] - bounds[1], 1e-9)
        cells = min(max(256 * len(polygons), 1024), 1 << 18)
        self.nx = max(1, round(np.sqrt(cells * width / height)))
        self.ny = max(1, round(cells / self.nx))
        self.dx, self.dy = width / self.nx, height / self.ny

    def _cell_boxes(self) -> np.ndarray:
        iy, ix = np.divmod(np.arange(self.nx * self.ny), self.nx)
        # A margin keeps a point that rounds into a neighbouring cell inside the box tested.
        margin = 1e-9 * max(self.dx, self.dy)
        x, y = self.x0 + ix * self.dx, self.y0 + iy * self.dy
        return shapely.box(x - margin, y - margin, x + self.dx + margin, y + self.dy + margin)

    def _classify_cells(self, boxes: np.ndarray, cell_idx: np.ndarray,
                        polygon_idx: np.ndarray) -> None:
        first = np.full(len(boxes), _NOT_FOUND, dtype=np.intp)
        np.minimum.at(first, cell_idx, polygon_idx)
        self.answer = np.where(first == _NOT_FOUND, _NO_BRANCH, _MIXED)
        owner = polygon_idx == first[cell_idx]
        whole = shapely.contains_properly(self.polygons[polygon_idx[owner]], boxes[cell_idx[owner]])
        self.answer[cell_idx[owner][whole]] = polygon_idx[owner][whole]
        mixed = self.answer[cell_idx] == _MIXED
        self._store_candidates(cell_idx[mixed], polygon_idx[mixed], len(boxes))

    def _store_candidates(self, cell_idx: np.ndarray, polygon_idx: np.ndarray,
                          n_cells: int) -> None:
        order = np.lexsort((polygon_idx, cell_idx))
        self.candidates = polygon_idx[order]
        self.counts = np.bincount(cell_idx, minlength=n_cells)
        self.starts = np.concatenate(([0], np.cumsum(self.counts)[:-1]))

    def hits(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Index of the winning polygon for each point, or -1."""
        hits = np.full(len(lats), _NO_BRANCH, dtype=np.intp)
        located = np.flatnonzero(self._in_extent(lats, lons))
        cells = self._cell_of(lats[located], lons[located])
        answers = self.answer[cells]
        hits[located] = np.where(answers == _MIXED, _NO_BRANCH, answers)
        mixed = answers == _MIXED
        tested = self._test_mixed(located[mixed], cells[mixed], lats, lons)
        hits[located[mixed]] = tested
        return hits

    def _in_extent(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        x1, y1 = self.x0 + self.nx * self.dx, self.y0 + self.ny * self.dy
        return (lons >= self.x0) & (lons <= x1) & (lats >= self.y0) & (lats <= y1)

    def _cell_of(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        ix = np.minimum(((lons - self.x0) / self.dx).astype(np.intp), self.nx - 1)
        iy = np.minimum(((lats - self.y0) / self.dy).astype(np.intp), self.ny - 1)
        return iy * self.nx + ix

    def _test_mixed(self, points: np.ndarray, cells: np.ndarray, lats: np.ndarray,
                    lons: np.ndarray) -> np.ndarray:
        counts = self.counts[cells]
        pair_point = np.repeat(np.arange(len(points)), counts)
        offset_in_cell = np.arange(len(pair_point)) - np.repeat(np.cumsum(counts) - counts, counts)
        pair_polygon = self.candidates[np.repeat(self.starts[cells], counts) + offset_in_cell]
        return _first_containing(self.polygons, len(points), pair_point, pair_polygon,
                                 lons[points], lats[points])
