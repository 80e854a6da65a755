"""A camera that films a label: a short Y4M video of a Code 128 barcode for Chromium's fake capture
device (`--use-file-for-fake-video-capture`), drawn from the very bars the labels print.

ReportLab's bitmap renderer needs an extension this project does not install, so the bars are
taken from ReportLab's Code 128 drawing (`delivery.labels.barcode`, its rectangles) and painted
with Pillow, each module a whole number of pixels.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from delivery.labels import barcode

WIDTH, HEIGHT, FRAMES, FPS = 640, 480, 30, 30
PIXELS_PER_MODULE = 3
BAR_HEIGHT_PX = 180


def barcode_picture(text: str) -> Image.Image:
    """A grey picture (mode L) of the Code 128 barcode of `text` on white, centred."""
    widget = barcode.drawing(text, bar_height_mm=10).contents[0]
    scale = PIXELS_PER_MODULE / barcode.MODULE
    picture = Image.new("L", (WIDTH, HEIGHT), 255)
    pen = ImageDraw.Draw(picture)
    bars = [shape for shape in widget.draw().contents if shape.fillColor is not None]
    left = (WIDTH - round(widget.width * scale)) // 2
    top = (HEIGHT - BAR_HEIGHT_PX) // 2
    for bar in bars:
        x = left + round(bar.x * scale)
        pen.rectangle((x, top, x + round(bar.width * scale) - 1, top + BAR_HEIGHT_PX - 1), fill=0)
    return picture


def barcode_video(text: str, path: Path) -> Path:
    """A one-second 640×480 Y4M video (4:2:0) of the barcode of `text`, written to `path`."""
    luma = barcode_picture(text).tobytes()
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)  # no colour
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(FRAMES):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path
