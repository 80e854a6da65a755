"""The rules of labels: who prints where, what may be asked for, and bars a 203 dpi printer
prints without rounding."""

from __future__ import annotations

import pytest

from delivery.labels import barcode, model
from delivery.labels.model import Sites
from delivery.platform.errors import InvalidInput

CENTRE, BRANCH, ELSEWHERE = 1, 2, 3
LABEL = Sites(centre_id=CENTRE, branch_id=BRANCH)


@pytest.mark.parametrize(("role", "site", "may"), [
    ("sorting_clerk", CENTRE, True), ("sorting_clerk", BRANCH, False),
    ("sorting_clerk", ELSEWHERE, False),
    ("branch_clerk", BRANCH, True), ("branch_clerk", CENTRE, False),
    ("branch_clerk", ELSEWHERE, False),
    ("supervisor", BRANCH, True), ("supervisor", ELSEWHERE, False),
    ("admin", None, True), ("admin", ELSEWHERE, True),
    ("courier", BRANCH, False), ("inspector", None, False), ("helpdesk", None, False),
])
def test_labels_are_printed_where_the_thing_is_handled(role, site, may):
    assert model.may_print(role, site, LABEL) is may


def test_an_item_without_a_branch_yet_is_printed_by_administrators_only():
    nowhere = Sites(centre_id=None, branch_id=None)
    assert not model.may_print("sorting_clerk", CENTRE, nowhere)
    assert not model.may_print("branch_clerk", None, nowhere)
    assert model.may_print("admin", None, nowhere)


def test_a_small_html_label_unless_a_pdf_or_another_size_is_asked_for():
    assert model.choose({}, None) == model.Choice(size=model.SIZES["100x50"], format="html")
    assert model.choose({}, "application/pdf").format == "pdf"
    assert model.choose({"format": "html"}, "application/pdf").format == "html"
    assert model.choose({"size": "100x150"}, "text/html").size.height_mm == 150


@pytest.mark.parametrize(("query", "fields"), [
    ({"size": "A4"}, ["query:size"]), ({"format": "png"}, ["query:format"]),
    ({"copies": "2"}, ["query:copies"]),
    ({"size": "", "format": ""}, ["query:size"]),  # an empty format means the default
])
def test_anything_else_is_refused_by_name(query, fields):
    with pytest.raises(InvalidInput) as refused:
        model.choose(query, None)
    assert [e.field for e in refused.value.errors] == fields


def test_the_s10_number_is_grouped_for_people():
    assert model.grouped_s10("RR123456785IQ") == "RR 123 456 785 IQ"


def test_every_bar_and_space_is_a_whole_number_of_printer_dots_with_quiet_zones():
    dot = 72 / barcode.PRINTER_DPI  # in points
    widget = barcode.drawing("RR123456785IQ", 18).contents[0]
    bars = [s for s in widget.draw().contents if s.fillColor is not None]
    edges = [edge for bar in bars for edge in (bar.x, bar.x + bar.width)]
    assert all(abs(e / dot - round(e / dot)) < 1e-6 for e in edges)
    assert min(bar.width for bar in bars) / dot == pytest.approx(3)
    assert bars[0].x == pytest.approx(10 * barcode.MODULE)
    assert widget.width - (bars[-1].x + bars[-1].width) == pytest.approx(10 * barcode.MODULE)


def test_only_capital_letters_and_digits_are_drawn():
    with pytest.raises(ValueError):
        barcode.drawing("<script>", 18)


def test_the_page_embeds_the_bars_as_svg_sized_in_millimetres():
    svg = barcode.svg(barcode.drawing("BAG0000005724", 18))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert 'height="18.000mm"' in svg and "<!DOCTYPE" not in svg
