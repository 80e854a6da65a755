"""A self-contained SVG picture of a day's plan: service area, branch, routes and a legend."""

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
MAP_SIZE = 700
PADDING = 20
LEGEND_WIDTH = 300


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
    drawn = [route for route in plan.routes if route.visits]
    height = max(project.height, 40 + 40 * len(drawn))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_SIZE + LEGEND_WIDTH} '
        f'{height:.0f}" font-family="sans-serif" font-size="11">',
        f'<rect width="{MAP_SIZE + LEGEND_WIDTH}" height="{height:.0f}" fill="#ffffff"/>',
        *_area(area_polygon, project),
    ]
    for colour, route in zip(_colours(), drawn, strict=False):
        parts += _route(route, colour, depot, stops_by_id, project)
    parts += _depot(depot, project)
    parts += _legend(drawn, courier_labels)
    parts.append("</svg>")
    return "\n".join(parts)


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
    depot: tuple[float, float],
    stops_by_id: Mapping[str, Stop],
    project: Projection,
) -> list[str]:
    stops = [stops_by_id[visit.stop_id] for visit in route.visits]
    xy = [project(*depot), *(project(s.lat, s.lon) for s in stops), project(*depot)]
    d = "M " + " L ".join(f"{x} {y}" for x, y in xy)
    parts = [
        f'<path class="route" data-courier={quoteattr(route.courier_id)} d="{d}" fill="none" '
        f'stroke="{colour}" stroke-width="2" stroke-linejoin="round" opacity="0.9"/>'
    ]
    for number, (x, y) in enumerate(xy[1:-1], start=1):
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


def _legend(routes: list[CourierRoute], labels: Mapping[str, str]) -> list[str]:
    parts = [f'<g class="legend" transform="translate({MAP_SIZE + 10} 20)">']
    for row, (colour, route) in enumerate(zip(_colours(), routes, strict=False)):
        label = escape(labels.get(route.courier_id, route.courier_id))
        summary = f"{route.distance_m / 1000:.1f} km · {len(route.visits)} stops"
        parts.append(
            f'<rect x="0" y="{40 * row}" width="14" height="14" fill="{colour}"/>'
            f'<text x="22" y="{40 * row + 11}">{label}</text>'
            f'<text x="22" y="{40 * row + 26}" fill="#555555">{summary}</text>'
        )
    parts.append("</g>")
    return parts
