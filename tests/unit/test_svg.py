import re
import xml.etree.ElementTree as ET

from shapely.geometry import MultiPolygon, Polygon

from routing.plans import CourierRoute, Plan, Stop, Visit
from routing.svg import PALETTE, render_plan_svg

SVG = "{http://www.w3.org/2000/svg}"
BRANCH = (33.3152, 44.3661)
AREA = Polygon([(44.30, 33.26), (44.44, 33.26), (44.44, 33.37), (44.30, 33.37)])


def stop(n: int, dlat: float, dlon: float) -> Stop:
    return Stop(
        stop_id=f"s{n}",
        item_ids=(f"i{n}",),
        lat=BRANCH[0] + dlat,
        lon=BRANCH[1] + dlon,
        window_start_s=0,
        window_end_s=86_400,
        service_s=60,
    )


STOPS = {
    s.stop_id: s
    for s in [
        stop(1, 0.01, 0.01),
        stop(2, 0.02, -0.01),
        stop(3, -0.02, 0.03),
        stop(4, -0.03, -0.02),
        stop(5, 0.04, 0.02),
    ]
}


def route(courier_id: str, stop_ids: list[str], distance_m: int) -> CourierRoute:
    visits = tuple(
        Visit(
            stop_id=sid,
            item_ids=STOPS[sid].item_ids,
            arrival_s=36_000 + 600 * k,
            departure_s=36_060 + 600 * k,
        )
        for k, sid in enumerate(stop_ids)
    )
    return CourierRoute(
        courier_id=courier_id, visits=visits, distance_m=distance_m, duration_s=3600
    )


PLAN = Plan(
    routes=(
        route("c1", ["s1", "s2", "s5"], 12_345),
        route("c2", [], 0),
        route("c3", ["s3", "s4"], 8_000),
    ),
    left_out=(),
    total_distance_m=20_345,
    total_duration_s=7200,
)
LABELS = {"c1": "Ali <Karrada> & Sons", "c2": "Idle", "c3": "هدى"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_svg_parses_and_has_one_route_path_per_courier_with_visits():
    root = parse(render_plan_svg(AREA, BRANCH, PLAN, STOPS, LABELS))
    routes = [p for p in root.iter(f"{SVG}path") if p.get("class") == "route"]
    assert [p.get("data-courier") for p in routes] == ["c1", "c3"]
    assert len({p.get("stroke") for p in routes}) == 2
    assert {p.get("stroke") for p in routes} <= set(PALETTE)


def test_route_path_starts_and_ends_at_the_branch_and_passes_every_stop():
    root = parse(render_plan_svg(AREA, BRANCH, PLAN, STOPS, LABELS))
    first = next(p for p in root.iter(f"{SVG}path") if p.get("data-courier") == "c1")
    points = re.findall(r"(-?[\d.]+) (-?[\d.]+)", first.get("d"))
    assert len(points) == 2 + 3
    assert points[0] == points[-1]


def test_stops_are_numbered_in_visit_order_per_courier():
    root = parse(render_plan_svg(AREA, BRANCH, PLAN, STOPS, LABELS))
    numbers = [g.find(f"{SVG}text").text for g in root.iter(f"{SVG}g") if g.get("class") == "stop"]
    assert numbers == ["1", "2", "3", "1", "2"]


def test_north_is_up_and_east_is_right():
    root = parse(render_plan_svg(None, BRANCH, PLAN, STOPS, LABELS))
    circles = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "stop":
            circle = group.find(f"{SVG}circle")
            circles[len(circles)] = (float(circle.get("cx")), float(circle.get("cy")))
    s1, s2, s5 = circles[0], circles[1], circles[2]
    assert s5[1] < s1[1]  # s5 is further north: smaller y
    assert s2[0] < s1[0]  # s2 is further west: smaller x


def test_legend_escapes_labels_and_shows_distance_and_stop_count():
    svg = render_plan_svg(AREA, BRANCH, PLAN, STOPS, LABELS)
    root = parse(svg)
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    texts = [t.text for t in legend.iter(f"{SVG}text")]
    assert "Ali <Karrada> & Sons" in texts
    assert "هدى" in texts
    assert "12.3 km · 3 stops" in texts and "8.0 km · 2 stops" in texts
    assert "Idle" not in texts
    assert "<Karrada>" not in svg


def test_area_outline_and_branch_are_drawn_without_external_resources():
    area = MultiPolygon([AREA, Polygon([(44.45, 33.30), (44.47, 33.30), (44.46, 33.32)])])
    svg = render_plan_svg(area, BRANCH, PLAN, STOPS, LABELS)
    root = parse(svg)
    outline = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "area")
    assert outline.get("d").count("M ") == 2
    assert any(g.get("class") == "branch" for g in root.iter(f"{SVG}g"))
    assert "href" not in svg and "url(" not in svg


def test_a_couriers_rounds_are_separate_paths_numbered_on_and_summed_in_the_legend():
    plan = Plan(routes=(route("c1", ["s1", "s2"], 5_000), route("c1", ["s3", "s4", "s5"], 7_000)),
                left_out=(), total_distance_m=12_000, total_duration_s=7200)
    root = parse(render_plan_svg(AREA, BRANCH, plan, STOPS, LABELS))
    paths = [p for p in root.iter(f"{SVG}path") if p.get("class") == "route"]
    assert len(paths) == 2 and paths[0].get("d").split(" L ")[0] == paths[1].get("d").split(" L ")[0]
    assert paths[0].get("stroke-dasharray") is None and paths[1].get("stroke-dasharray")
    numbers = [g.find(f"{SVG}text").text for g in root.iter(f"{SVG}g") if g.get("class") == "stop"]
    assert numbers == ["1", "2", "3", "4", "5"]
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert "12.0 km · 5 stops · 2 rounds" in [t.text for t in legend.iter(f"{SVG}text")]
