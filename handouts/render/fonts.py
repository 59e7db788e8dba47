"""The shipped typefaces, and a fallback for scripts the main face lacks.

Atkinson Hyperlegible Next was drawn for low-vision readers and covers Latin;
Noto Sans (a subset: Latin, Greek, Cyrillic, Vietnamese) is registered only when
a text needs it, so the common case parses one small face per weight.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from handouts.errors import DataError
from handouts.paths import FONTS_DIR

FONT_DIR = FONTS_DIR
REGULAR = "Atkinson"
BOLD = "Atkinson-Bold"
_FILES = {
    REGULAR: "AtkinsonHyperlegibleNext-Regular.ttf",
    BOLD: "AtkinsonHyperlegibleNext-Bold.ttf",
    "Noto": "NotoSans-Regular.ttf",
    "Noto-Bold": "NotoSans-Bold.ttf",
}
_FALLBACK = {REGULAR: "Noto", BOLD: "Noto-Bold"}


@cache
def face(name: str) -> TTFont:
    """Register a face once per process; a batch worker reuses it for every page."""
    font = TTFont(name, str(FONT_DIR / _FILES[name]))
    pdfmetrics.registerFont(font)
    return font


def _has(name: str, char: str) -> bool:
    return ord(char) in face(name).face.charToGlyph


@lru_cache(maxsize=1024)
def missing(text: str) -> tuple[str, ...]:
    """Characters neither face can draw, so we refuse before printing an empty box."""
    gone: list[str] = []
    for char in text:
        if char == " " or _has(REGULAR, char):
            continue
        if not _has("Noto", char) and char not in gone:
            gone.append(char)
    return tuple(gone)


@lru_cache(maxsize=4096)
def runs(text: str, font: str) -> tuple[tuple[str, str], ...]:
    """Split `text` into (font, piece) runs: the main face where it can, the fallback elsewhere.

    Cached: a batch prints the same titles, cues and labels on every page.
    """
    if all(_has(font, char) or char == " " for char in text):
        return ((font, text),)
    fallback = face(_FALLBACK[font]).fontName  # registers it before anyone measures with it
    out: list[tuple[str, str]] = []
    # Whole words switch face, so "Nguyễn" is one design rather than a patchwork.
    for word in re.split(r"( +)", text):
        if not word:
            continue
        use = font if all(_has(font, c) for c in word) else fallback
        if out and (out[-1][0] == use or word.isspace()):
            out[-1] = (out[-1][0], out[-1][1] + word)
        else:
            out.append((use, word))
    return tuple(out)


@lru_cache(maxsize=8192)
def width(text: str, font: str, size: float) -> float:
    return float(sum(pdfmetrics.stringWidth(piece, f, size) for f, piece in runs(text, font)))


def require_printable(text: str, what: str) -> None:
    gone = missing(text)
    if gone:
        shown = " ".join(f"{c!r} (U+{ord(c):04X})" for c in gone[:8])
        raise DataError(
            f"{what} has characters the shipped fonts cannot print: {shown}. "
            "Type the name in Latin, Greek or Cyrillic letters, or leave those characters out."
        )
