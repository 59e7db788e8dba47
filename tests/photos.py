"""Phone-like photos built at test time: a person standing on a floor under a blue sky.

Upright, the top of the picture is sky (blue) and the bottom is floor (brown), so a
test can tell from the pixels whether a picture was turned the right way up.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

SKY = (150, 190, 235)
FLOOR = (120, 85, 50)
ORIENTATION = 0x0112
GPS_IFD = 0x8825


def scene(width: int = 4000, height: int = 6000, seed: int = 1) -> Image.Image:
    """An upright portrait scene with some texture, so JPEG sizes are realistic."""
    im = Image.new("RGB", (width, height), SKY)
    d = ImageDraw.Draw(im)
    d.rectangle((0, int(height * 0.7), width, height), fill=FLOOR)
    cx = width // 2
    d.ellipse((cx - width // 12, height // 5, cx + width // 12, height // 5 + width // 6), fill=(230, 180, 150))
    d.rectangle((cx - width // 14, height // 5 + width // 6, cx + width // 14, int(height * 0.55)), fill=(40, 80, 160))
    d.rectangle((cx - width // 14, int(height * 0.55), cx - width // 50, int(height * 0.7)), fill=(30, 30, 30))
    d.rectangle((cx + width // 50, int(height * 0.55), cx + width // 14, int(height * 0.7)), fill=(30, 30, 30))
    rng = random.Random(seed)
    for _ in range(400):  # clutter, like a real room
        x, y = rng.randrange(width), rng.randrange(int(height * 0.6))
        r = rng.randrange(width // 80, width // 25)
        d.ellipse((x - r, y - r, x + r, y + r), fill=tuple(min(255, c + rng.randrange(-30, 30)) for c in SKY))
    return im.filter(ImageFilter.GaussianBlur(3))


def phone_jpeg(upright: Image.Image | None = None) -> bytes:
    """Stored sideways with EXIF orientation 6, GPS and a camera make, as an iPhone saves it."""
    upright = upright or scene()
    stored = upright.rotate(90, expand=True)  # orientation 6 means: rotate 90° clockwise to view
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (33.0, 46.0, 12.0), 3: "W", 4: (118.0, 11.0, 3.0)}
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def encoded(im: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt)
    return buffer.getvalue()


def is_upright(im: Image.Image) -> bool:
    """Sky above, floor below."""
    rgb = im.convert("RGB")
    w, h = rgb.size
    top = rgb.getpixel((w // 10, h // 20))
    bottom = rgb.getpixel((w // 10, h - 1 - h // 30))
    return top[2] > top[0] + 40 and bottom[0] > bottom[2] + 30
