"""The one Code 128 barcode of every label, drawn by ReportLab: placed in the PDF as it is, and
written out as SVG for the HTML page.

Sized for the 203 dpi thermal printers branches use: each module (the narrowest bar or space) is
exactly three printer dots (0.375 mm), so no bar is rounded to a different width than its
neighbours, and a quiet zone of ten modules is kept clear on each side as ISO/IEC 15417 asks.
An S10 number is then 66 mm wide with its quiet zones, a bag id 58 mm: both fit a 100 mm label.
"""

from __future__ import annotations

import re

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import inch, mm

PRINTER_DPI = 203
DOTS_PER_MODULE = 3
MODULE = DOTS_PER_MODULE * inch / PRINTER_DPI  # in points
QUIET_MODULES = 10
_SVG_ROOT = re.compile(r"\A.*?<svg\b[^>]*>", re.S)
_CODE = re.compile(r"[A-Z0-9]{1,40}")


def drawing(code: str, bar_height_mm: float) -> Drawing:
    """`code` (capital letters and digits: an S10 number or a bag id) as Code 128 bars,
    quiet zones included; ReportLab picks code set C for the runs of digits."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"a label's code is capital letters and digits, got {code!r}")
    return createBarcodeDrawing(
        "Code128", value=code, barWidth=MODULE, barHeight=bar_height_mm * mm, quiet=1,
        lquiet=QUIET_MODULES * MODULE, rquiet=QUIET_MODULES * MODULE, humanReadable=False)


def svg(bars: Drawing) -> str:
    """The drawing as an inline `<svg>` element sized in millimetres, edges kept crisp."""
    text = renderSVG.drawToString(bars)
    width, height = bars.width, bars.height
    # ReportLab's root element rounds its viewBox to whole points (a stretch of a few percent)
    # and comes after an XML declaration and a DOCTYPE, neither of which HTML wants.
    root = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'width="{width / mm:.3f}mm" height="{height / mm:.3f}mm" '
            f'viewBox="0 0 {width:.4f} {height:.4f}" shape-rendering="crispEdges">')
    return _SVG_ROOT.sub(root, text, count=1).replace("<title>...</title>", "").replace(
        "<desc>...</desc>", "")
