"""The signals page's blocks: only signals someone has, links that carry the period and the
unit, the outlier's row marked, failures split by reason."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

from delivery.console.signals.model import Flag, Period, Unit
from delivery.console.signals.services import Board
from delivery.console.signals.view import blocks

PERIOD = Period(first=date(2026, 11, 1), last=date(2026, 11, 30))


def _board(units, flags=None):
    return Board(period=PERIOD, branches=[], staff=units, flags=flags or {})


def test_only_signals_someone_has_get_a_block_in_the_pages_order():
    units = [Unit(kind="staff", key="ali", governorate="IQ-BG",
                  counts={"far": 1, "delivered": 4})]
    assert [b.signal for b in blocks(_board(units), units, "en")] == ["delivered", "far"]


def test_a_figure_links_to_its_items_with_the_period_and_the_courier():
    units = [Unit(kind="staff", key="ali", governorate="IQ-BG",
                  counts={"failed": 3, "failed:absent": 2, "failed:refused": 1})]
    failed = blocks(_board(units), units, "ar")[0]
    [row] = failed.rows
    query = parse_qs(urlsplit(row.link).query)
    assert urlsplit(row.link).path == "/ops/signals/items"
    assert query == {"signal": ["failed"], "courier": ["ali"], "from": ["2026-11-01"],
                     "to": ["2026-11-30"]}
    assert [(words, n) for words, n, _ in row.reasons] == [("غياب", 2), ("رفض", 1)]


def test_the_outlier_row_is_marked_and_its_rate_written_out():
    units = [Unit(kind="staff", key="ali", governorate="IQ-BG", counts={"delivered": 4, "far": 3}),
             Unit(kind="staff", key="omar", governorate="IQ-BG", counts={"delivered": 5, "far": 1})]
    flags = {("staff", "ali"): [Flag(signal="far", rate=0.75, baseline=0.1, p_value=0.001)]}
    far = blocks(_board(units, flags), units, "en")[1]
    assert [(r.label, r.marked, r.rate) for r in far.rows] == [("ali", True, "75% of 4"),
                                                               ("omar", False, "20% of 5")]
    assert "⚠ unusual:" in far.chart
