"""Horizontal bar charts drawn on the server as inline SVG: no script, no external resource.

Each bar gets its own line for the label above it, so long names stay legible on a 360 px
phone; a marked bar (an outlier) is drawn in another colour *and* carries a text marker, so the
chart does not rely on colour alone. Right-to-left charts grow their bars from the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import msgspec

WIDTH = 340
ROW = 38  # a label line and a bar line
BAR = 14
PLAIN, MARKED, TEXT = "#2f6f8f", "#b3261e", "#1b1b1b"


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    value: float
    shown: str  # the value as written beside the bar ("3", "40 %")
    marked: bool = False


def bar_chart(title: str, bars: Sequence[Bar], *, rtl: bool = True, marker: str = "⚠",
              width: int = WIDTH) -> str:
    """An SVG element: one labelled bar per entry, scaled to the largest value."""
    height = ROW * len(bars) + 8
    top = max((b.value for b in bars), default=0) or 1
    rows = "".join(_row(i, b, top, rtl, marker, width) for i, b in enumerate(bars))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" '
            f'viewBox="0 0 {width} {height}" direction="{"rtl" if rtl else "ltr"}" '
            f'aria-label={quoteattr(title)}>'
            f"<title>{escape(title)}</title>{rows}</svg>")


def _row(index: int, bar: Bar, top: float, rtl: bool, marker: str, width: int) -> str:
    y = index * ROW + 4
    room = width - 64  # what is left beside the bar for its value ("100%", "12345")
    length = max(2.0, room * bar.value / top) if bar.value else 0.0
    label = f"{marker} {bar.label}" if bar.marked else bar.label
    colour = MARKED if bar.marked else PLAIN
    edge = width - 2 if rtl else 2  # text starts at the reading side: `start` follows direction
    x = width - 2 - length if rtl else 2.0
    value_x = x - 4 if rtl else x + length + 4
    weight = ' font-weight="bold"' if bar.marked else ""
    return (f'<text x="{edge}" y="{y + 12}" font-size="13" text-anchor="start" '
            f'fill="{colour if bar.marked else TEXT}"{weight}>{escape(label)}</text>'
            f'<rect x="{x:.1f}" y="{y + 17}" width="{length:.1f}" height="{BAR}" fill="{colour}"/>'
            f'<text x="{value_x:.1f}" y="{y + 28}" font-size="12" '
            f'text-anchor="start" fill="{TEXT}">{escape(bar.shown)}</text>')
