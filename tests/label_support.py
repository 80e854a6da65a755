"""Reading labels back as a scanner and a person would: the barcodes in a PDF or a picture, and
the text of a PDF."""

from __future__ import annotations

from PIL import Image

PRINTER_DPI = 203


def barcodes(picture: Image.Image) -> list[str]:
    """The Code 128 barcodes zxing-cpp reads in `picture`."""
    import zxingcpp

    return [found.text for found in zxingcpp.read_barcodes(picture)
            if found.format == zxingcpp.BarcodeFormat.Code128]


def pdf_pages(data: bytes, dpi: int = PRINTER_DPI) -> list[Image.Image]:
    """Each page of a PDF as a thermal printer of `dpi` would print it."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    return [page.render(scale=dpi / 72).to_pil() for page in document]


def pdf_size_mm(data: bytes) -> tuple[float, float]:
    """The first page's width and height in millimetres."""
    import pypdfium2

    width, height = pypdfium2.PdfDocument(data)[0].get_size()
    return round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)


def pdf_text(data: bytes) -> str:
    """All the text of a PDF."""
    import pypdfium2

    return "\n".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(data))
