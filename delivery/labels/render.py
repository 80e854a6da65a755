"""A label's face as a PDF or as a printable HTML page, both with the same barcode drawing."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import jinja2
from markupsafe import Markup
from reportlab.graphics import renderPDF
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from delivery.labels import barcode
from delivery.labels.model import Face, LabelSize

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
    trim_blocks=True, lstrip_blocks=True, auto_reload=False)
BOLD, REGULAR = "Helvetica-Bold", "Helvetica"
# No script, no resource from anywhere: only the page's own style sheet (by its hash) and the
# style attributes of ReportLab's SVG (presentation only).
_CSP = ("default-src 'none'; style-src-elem 'sha256-{digest}'; style-src-attr 'unsafe-inline'; "
        "script-src 'none'; img-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'")


def pdf(face: Face, size: LabelSize, title: str) -> bytes:
    """One page of exactly the label's size: the destination large at the top left, the
    details at the top right, the bars and their text below. Latin text only (codes)."""
    out = io.BytesIO()
    page = Canvas(out, pagesize=(size.width_mm * mm, size.height_mm * mm), pageCompression=1)
    page.setTitle(title)
    page.setCreator("Tasheel")
    header_bottom = _header(page, face, size)
    _code_block(page, face, size, header_bottom)
    page.showPage()
    page.save()
    return out.getvalue()


def _header(page: Canvas, face: Face, size: LabelSize) -> float:
    """The destination and the details; where the header ends (points from the bottom)."""
    margin, top = size.margin_mm * mm, (size.height_mm - size.margin_mm) * mm
    page.setFont(BOLD, size.headline_pt)
    page.drawString(margin, top - size.headline_pt * 0.75, face.destination_code)
    page.setFont(REGULAR, size.detail_pt)
    line = size.detail_pt * 1.2
    for n, (_, caption, value) in enumerate(face.details, start=1):
        page.drawRightString((size.width_mm - size.margin_mm) * mm,
                             top - n * line + size.detail_pt * 0.2, f"{caption}: {value}")
    return top - max(size.headline_pt, len(face.details) * line) - 1.5 * mm


def _code_block(page: Canvas, face: Face, size: LabelSize, header_bottom: float) -> None:
    """The bars with their text under them, as one block in the middle of the room left."""
    width, margin = size.width_mm * mm, size.margin_mm * mm
    readable_height = size.readable_pt * 0.75 + 1.5 * mm
    room = header_bottom - margin
    bars = barcode.drawing(face.code, min(size.bar_height_mm * mm, room - readable_height) / mm)
    bottom = margin + (room - bars.height - readable_height) / 2
    renderPDF.draw(bars, page, _on_a_dot((width - bars.width) / 2), bottom + readable_height)
    page.setFont(BOLD, size.readable_pt)
    page.drawCentredString(width / 2, bottom + 0.5 * mm, face.readable)


def _on_a_dot(x: float) -> float:
    """`x` moved to the nearest printer dot, so every bar's edges fall on dots too."""
    dot = 72 / barcode.PRINTER_DPI
    return round(x / dot) * dot


def html(face: Face, size: LabelSize, title: str) -> tuple[str, str]:
    """The printable page (Arabic first; the code, numbers and dates left to right) and the
    Content-Security-Policy that lets it show and nothing more."""
    css = TEMPLATES.get_template("label.css.j2").render(size=size)
    bars = barcode.svg(barcode.drawing(face.code, size.bar_height_mm))
    page = TEMPLATES.get_template("label.html.j2").render(
        face=face, title=title, css=Markup(css),  # noqa: S704 - our template, no input in it
        bars=Markup(bars))  # noqa: S704 - ReportLab's drawing of a code of [A-Z0-9] only
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return page, _CSP.format(digest=digest)
