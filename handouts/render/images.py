"""Pictures on the page: the clinic logo and exercise photos, drawn small.

Pictures imported with `handouts picture add` are already small, square and stripped,
so `make` embeds them as they are without decoding (no Pillow import, no start-up
cost); anything else is prepared by library/photos.py first.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from handouts.errors import DataError
from handouts.library.photos import clean_pixels, crop_to, jpeg_bytes, jpeg_info, open_image, pixels_for

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas


@lru_cache(maxsize=32)
def _prepared(path: Path, mtime_ns: int, box_w: float, box_h: float, crop: bool, grayscale: bool) -> bytes:
    im = open_image(path)
    if crop:
        im = crop_to(im, box_w / box_h)
    return jpeg_bytes(clean_pixels(im, pixels_for(box_w), pixels_for(box_h), grayscale))


def _ready_as_is(path: Path, box: float) -> bool:
    """An imported picture: a square, small, metadata-free JPEG that can go in unchanged."""
    if path.suffix.lower() not in (".jpg", ".jpeg"):
        return False
    info = jpeg_info(path)
    if info is None:
        return False
    width, height, metadata = info
    return not metadata and width == height and width <= pixels_for(box) * 1.05


def _source(path: Path, box_w: float, box_h: float, crop: bool, grayscale: bool) -> object:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise DataError(f"{path}: image not found") from None
    if crop and not grayscale and box_w == box_h and _ready_as_is(path, box_w):
        return str(path)  # reportlab copies a JPEG's bytes straight into the PDF
    from reportlab.lib.utils import ImageReader

    return ImageReader(io.BytesIO(_prepared(path, mtime, box_w, box_h, crop, grayscale)))


def draw_picture(c: Canvas, path: Path, x: float, y: float, size: float, grayscale: bool = False) -> None:
    c.drawImage(_source(path, size, size, True, grayscale), x, y, size, size)


def draw_logo(c: Canvas, path: Path, x: float, y: float, width: float, height: float, grayscale: bool = False) -> None:
    """The logo keeps its shape inside a width x height box, left-aligned."""
    c.drawImage(_source(path, width, height, False, grayscale), x, y, width, height, preserveAspectRatio=True, anchor="w")
