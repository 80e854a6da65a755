"""A self-contained SVG picture of a day's plan: service area, branch, routes and a legend.

A courier who goes out more than once (the items already carried, then the rest) has one route
per round in the plan, in order; each round is its own path from the branch and back, in the
courier's colour with its own dash pattern, and the legend shows which pattern is which round.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

from shapely.geometry.base import BaseGeometry

from routing.plans import CourierRoute, Plan, Stop

# Tableau 10: distinct on screen and in print; cycled when there are more couriers.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
# Round 1 solid, then dashed, dotted, dash-dot; cycled beyond.
DASHES = (None, "9 5", "2 4", "12 4 2 4")
MAP_SIZE = 700
PADDING = 20
LEGEND_WIDTH = 300
LEGEND_ROW, ROUND_ROW = 40, 16


class Projection:
    """Equirectangular lon/lat to SVG pixels, with longitudes shrunk by cos(mean latitude)."""

    def __init__(self, points: list[tuple[float, float]]) -> None:
        lats = [lat for lat, _ in points]
        lons = [lon for _, lon in points]
        self.shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
        self.west, self.north = min(lons), max(lats)
        width = max((max(lons) - self.west) * self.shrink, 1e-9)
        height = max(self.north - min(lats), 1e-9)
        self.scale = (MAP_SIZE - 2 * PADDING) / max(width, height)
        self.height = height * self.scale + 2 * PADDING

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        """SVG (x, y) of a point; north is up."""
        x = PADDING + (lon - self.west) * self.shrink * self.scale
        y = PADDING + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)


def render_plan_svg(
    area_polygon: BaseGeometry | None,
    depot: tuple[float, float],
    plan: Plan,
    stops_by_id: Mapping[str, Stop],
    courier_labels: Mapping[str, str],
) -> str:
    """Draw the plan; `depot` is (lat, lon), the area polygon is in (lon, lat)."""
    project = Projection(_all_points(area_polygon, depot, plan, stops_by_id))
    couriers = _rounds_by_courier(plan.routes)
    height = max(project.height, 40 + _legend_height(couriers))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_SIZE + LEGEND_WIDTH} '
        f'{height:.0f}" font-family="sans-serif" font-size="11">',
        f'<rect width="{MAP_SIZE + LEGEND_WIDTH}" height="{height:.0f}" fill="#ffffff"/>',
        *_area(area_polygon, project),
    ]
    for colour, rounds in zip(_colours(), couriers.values(), strict=False):
        numbered = 0
        for number, route in enumerate(rounds, start=1):
            parts += _route(route, colour, _dash(number), numbered, depot, stops_by_id, project)
            numbered += len(route.visits)
    parts += _depot(depot, project)
    parts += _legend(couriers, courier_labels)
    parts.append("</svg>")
    return "\n".join(parts)


def _rounds_by_courier(routes: Iterable[CourierRoute]) -> dict[str, list[CourierRoute]]:
    """Each courier's rounds that have visits, in order; couriers in order of first appearance."""
    couriers: dict[str, list[CourierRoute]] = {}
    for route in routes:
        if route.visits:
            couriers.setdefault(route.courier_id, []).append(route)
    return couriers


def _dash(round_number: int) -> str | None:
    return DASHES[(round_number - 1) % len(DASHES)]


def _colours() -> Iterable[str]:
    while True:
        yield from PALETTE


def _all_points(
    area: BaseGeometry | None,
    depot: tuple[float, float],
    plan: Plan,
    stops_by_id: Mapping[str, Stop],
) -> list[tuple[float, float]]:
    points = [depot]
    points += [
        (stops_by_id[v.stop_id].lat, stops_by_id[v.stop_id].lon)
        for route in plan.routes
        for v in route.visits
    ]
    if area is not None and not area.is_empty:
        west, south, east, north = area.bounds
        points += [(south, west), (north, east)]
    return points


def _rings(area: BaseGeometry) -> Iterable:
    for polygon in getattr(area, "geoms", [area]):
        yield polygon.exterior
        yield from polygon.interiors


def _area(area: BaseGeometry | None, project: Projection) -> list[str]:
    if area is None or area.is_empty:
        return []
    d = " ".join(_ring_path(ring.coords, project) for ring in _rings(area))
    return [
        f'<path class="area" d="{d}" fill="#f3f6fa" stroke="#7a8899" '
        'stroke-width="1.5" fill-rule="evenodd"/>'
    ]


def _ring_path(coords: Iterable[tuple[float, ...]], project: Projection) -> str:
    xy = [project(lat, lon) for lon, lat, *_ in coords]
    return "M " + " L ".join(f"{x} {y}" for x, y in xy) + " Z"


def _route(
    route: CourierRoute,
    colour: str,
    dash: str | None,
    numbered: int,
    depot: tuple[float, float],
    stops_by_id: Mapping[str, Stop],
    project: Projection,
) -> list[str]:
    """One round: a path from the branch through its stops and back, stops numbered on from
    `numbered` (the stops of the courier's earlier rounds)."""
    stops = [stops_by_id[visit.stop_id] for visit in route.visits]
    xy = [project(*depot), *(project(s.lat, s.lon) for s in stops), project(*depot)]
    d = "M " + " L ".join(f"{x} {y}" for x, y in xy)
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    parts = [
        f'<path class="route" data-courier={quoteattr(route.courier_id)} d="{d}" fill="none" '
        f'stroke="{colour}" stroke-width="2"{dashed} stroke-linejoin="round" opacity="0.9"/>'
    ]
    for number, (x, y) in enumerate(xy[1:-1], start=numbered + 1):
        parts.append(
            f'<g class="stop"><circle cx="{x}" cy="{y}" r="7" fill="{colour}"/>'
            f'<text x="{x}" y="{y + 3.5}" text-anchor="middle" font-size="8" '
            f'fill="#ffffff">{number}</text></g>'
        )
    return parts


def _depot(depot: tuple[float, float], project: Projection) -> list[str]:
    x, y = project(*depot)
    return [
        f'<g class="branch"><rect x="{x - 8}" y="{y - 8}" width="16" height="16" '
        f'fill="#222222" stroke="#ffffff" stroke-width="2"/>'
        f'<text x="{x + 12}" y="{y + 4}" font-weight="bold">Branch</text></g>'
    ]


def _legend_height(couriers: Mapping[str, list[CourierRoute]]) -> int:
    return sum(_legend_row_height(rounds) for rounds in couriers.values())


def _legend_row_height(rounds: list[CourierRoute]) -> int:
    return LEGEND_ROW + (ROUND_ROW * len(rounds) if len(rounds) > 1 else 0)


def _legend(couriers: Mapping[str, list[CourierRoute]], labels: Mapping[str, str]) -> list[str]:
    parts = [f'<g class="legend" transform="translate({MAP_SIZE + 10} 20)">']
    top = 0
    for colour, (courier_id, rounds) in zip(_colours(), couriers.items(), strict=False):
        label = escape(labels.get(courier_id, courier_id))
        distance = sum(r.distance_m for r in rounds)
        summary = f"{distance / 1000:.1f} km · {sum(len(r.visits) for r in rounds)} stops"
        if len(rounds) > 1:
            summary += f" · {len(rounds)} rounds"
        parts.append(
            f'<rect x="0" y="{top}" width="14" height="14" fill="{colour}"/>'
            f'<text x="22" y="{top + 11}">{label}</text>'
            f'<text x="22" y="{top + 26}" fill="#555555">{summary}</text>'
        )
        if len(rounds) > 1:
            parts += _round_samples(colour, len(rounds), top + LEGEND_ROW - 4)
        top += _legend_row_height(rounds)
    parts.append("</g>")
    return parts


def _round_samples(colour: str, count: int, top: int) -> list[str]:
    """A short line in each round's dash pattern, named."""
    parts = []
    for number in range(1, count + 1):
        y = top + ROUND_ROW * (number - 1)
        dash = _dash(number)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="22" y1="{y}" x2="62" y2="{y}" stroke="{colour}" stroke-width="2"'
            f"{dashed}/>"
            f'<text x="70" y="{y + 4}" fill="#555555">round {number}</text>'
        )
    return parts
