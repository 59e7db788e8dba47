"""Photos as the library holds them: opened safely, upright, cropped, small and stripped (Pillow only).

A phone photo is 12 megapixels with GPS and a face in it; the page needs about
300 pixels a side and nothing else. `picture add` stores that, `check` inspects a
clinic's logo and pictures with it, and the renderer prepares any other picture
with the same steps: decoded, turned upright, cropped, scaled to at most PRINT_DPI
at its printed size and re-encoded without metadata.
"""

from __future__ import annotations

import io
import struct
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from handouts.errors import DataError

if TYPE_CHECKING:
    from PIL.Image import Image

PRINT_DPI = 300
MAX_PIXELS = 80_000_000  # a 8000x8000 scan is fine; a decompression bomb is not
JPEG_QUALITY = 85
POINTS_PER_INCH = 72


def pixels_for(points: float) -> int:
    """Pixels needed to print `points` at PRINT_DPI."""
    return round(points / POINTS_PER_INCH * PRINT_DPI)


def jpeg_info(path: Path) -> tuple[int, int, bool] | None:
    """(width, height, has metadata) read from a JPEG's markers, without decoding it."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data[:2] != b"\xff\xd8" or data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
        return None  # not a JPEG, or cut short: let the full decoder say what is wrong
    pos, metadata = 2, False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:  # APP1..APP15 (EXIF, XMP, ...) and comments
            metadata = True
        if marker in (0xC0, 0xC1, 0xC2) and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height, metadata
        pos += 2 + length
    return None


def open_image(path: Path) -> Image:
    """Decode an image fully, upright; every way it can fail becomes `file: what is wrong`."""
    from PIL import Image as PILImage
    from PIL import ImageOps, UnidentifiedImageError

    _register_heif()
    try:
        with warnings.catch_warnings():
            # we apply our own, clearer pixel limit below
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            im = PILImage.open(path)
        with im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise DataError(
                    f"{path}: image is {width}x{height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels (export a smaller copy)"
                )
            im.load()
            upright = ImageOps.exif_transpose(im)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{path}: image not found") from None
    except PILImage.DecompressionBombError:
        raise DataError(f"{path}: image is over {MAX_PIXELS // 1_000_000} megapixels (export a smaller copy)") from None
    except UnidentifiedImageError:
        if path.suffix.lower() in (".heic", ".heif") and not _heif_available():
            raise DataError(f"{path}: HEIC photos need the heic extra: pip install '.[heic]' (or export the photo as JPEG)") from None
        raise DataError(f"{path}: not an image Pillow can read (expected JPEG, PNG or HEIC)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"{path}: image is damaged or truncated ({e})") from None
    return upright


def inspect_image(path: Path) -> str | None:
    """What is wrong with an image file, or None: for `check` and the clinic's logo."""
    try:
        open_image(path)
    except DataError as e:
        return str(e).removeprefix(f"{path}: ")
    return None


def _register_heif() -> None:
    if _heif_available():
        from pillow_heif import register_heif_opener

        register_heif_opener()


def _heif_available() -> bool:
    """HEIC support is optional: the pillow-heif extra."""
    import importlib.util

    return importlib.util.find_spec("pillow_heif") is not None


def crop_to(im: Image, aspect: float, anchor: str = "center") -> Image:
    """Crop to width/height == aspect, keeping the left, centre or right of a wide photo, or the
    top, centre or bottom of a tall one (a standing patient's head or feet)."""
    w, h = im.size
    if w / h > aspect:
        new_w = round(h * aspect)
        left = {"left": 0, "right": w - new_w}.get(anchor, (w - new_w) // 2)
        return im.crop((left, 0, left + new_w, h))
    new_h = round(w / aspect)
    top = {"top": 0, "bottom": h - new_h}.get(anchor, (h - new_h) // 2)
    return im.crop((0, top, w, top + new_h))


def clean_pixels(im: Image, max_w: int, max_h: int, grayscale: bool = False) -> Image:
    """Only pixels: a new image holds no EXIF, GPS, ICC or comments from the source."""
    from PIL import Image as PILImage

    mode = "L" if grayscale else "RGB"
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        flat = PILImage.new("RGBA", im.size, (255, 255, 255, 255))
        flat.alpha_composite(im)
        im = flat
    im = im.convert(mode)
    if im.width > max_w or im.height > max_h:
        im.thumbnail((max_w, max_h), PILImage.Resampling.LANCZOS)
    out = PILImage.new(mode, im.size)
    out.paste(im)
    return out


def jpeg_bytes(im: Image) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


@lru_cache(maxsize=8)
def aspect_ratio(path: Path) -> float:
    """Width over height, read from the header only (the image is decoded later, if at all)."""
    from PIL import Image as PILImage

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(path) as im:
                width, height = im.size
    except (OSError, ValueError) as e:  # check() reports the details; here the page just needs a shape
        raise DataError(f"{path}: cannot read the image ({e})") from None
    return width / height if height else 1.0
