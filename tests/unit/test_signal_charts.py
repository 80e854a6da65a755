"""The signal page's bar charts: well-formed SVG, labels escaped, outliers marked in text."""

import xml.etree.ElementTree as ET

from delivery.console.signals.svg import MARKED, Bar, bar_chart

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_a_chart_is_well_formed_svg_with_one_bar_per_entry():
    root = parse(bar_chart("Deliveries", [Bar(label="BG-002", value=3, shown="3"),
                                          Bar(label="BG-003", value=1, shown="1")]))
    assert root.tag == f"{NS}svg" and root.get("aria-label") == "Deliveries"
    assert len(root.findall(f"{NS}rect")) == 2


def test_labels_and_titles_cannot_break_out_of_the_markup():
    hostile = '<script>alert("x")</script> & "quoted"'
    svg = bar_chart(hostile, [Bar(label=hostile, value=1, shown=hostile)])
    root = parse(svg)
    assert "<script" not in svg
    assert root.find(f"{NS}title").text == hostile
    assert [t.text for t in root.findall(f"{NS}text")] == [hostile, hostile]


def test_an_outlier_is_marked_by_colour_and_by_a_text_marker():
    root = parse(bar_chart("x", [Bar(label="courier", value=2, shown="2", marked=True),
                                 Bar(label="other", value=1, shown="1")]))
    marked, plain = root.findall(f"{NS}rect")
    assert marked.get("fill") == MARKED and plain.get("fill") != MARKED
    labels = [t.text for t in root.findall(f"{NS}text")]
    assert labels[0].startswith("⚠") and not labels[2].startswith("⚠")


def test_bars_scale_to_the_largest_value_and_grow_from_the_reading_side():
    rtl = parse(bar_chart("x", [Bar(label="a", value=4, shown="4"), Bar(label="b", value=2,
                                                                        shown="2")]))
    big, small = (float(r.get("width")) for r in rtl.findall(f"{NS}rect"))
    assert small == big / 2
    assert rtl.get("direction") == "rtl"
    first = rtl.findall(f"{NS}rect")[0]
    assert float(first.get("x")) + big == 338  # ends at the right edge
    ltr = parse(bar_chart("x", [Bar(label="a", value=4, shown="4")], rtl=False))
    assert float(ltr.find(f"{NS}rect").get("x")) == 2


def test_an_empty_chart_is_still_valid():
    assert parse(bar_chart("none", [])).tag == f"{NS}svg"
