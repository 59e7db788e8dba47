"""Measuring, wrapping and drawing user text, which is always text and never markup."""

from __future__ import annotations

from functools import lru_cache

from reportlab.pdfgen.canvas import Canvas

from handouts.render import fonts


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap by measured width; a word wider than the line is split by characters."""
    return list(_wrap(text, font, size, width))


@lru_cache(maxsize=2048)
def _wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if not word:
            continue
        trial = f"{line} {word}" if line else word
        if fonts.width(trial, font, size) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        rest = word
        while fonts.width(rest, font, size) > width:  # one word wider than the line: split it
            cut = _longest_prefix(rest, font, size, width)
            lines.append(rest[:cut])
            rest = rest[cut:]
        line = rest
    if line:
        lines.append(line)
    return tuple(lines) or ("",)


def _longest_prefix(word: str, font: str, size: float, width: float) -> int:
    cut = 1
    while cut < len(word) and fonts.width(word[: cut + 1], font, size) <= width:
        cut += 1
    return cut


def fit(
    text: str, font: str, width: float, largest: float, smallest: float, max_lines: int, one_line_down_to: float | None = None
) -> tuple[float, list[str]]:
    """The largest size from `largest` down to `smallest` at which `text` fits in `max_lines`.

    With `one_line_down_to`, a single line is preferred while the size stays at or
    above it: a clinic name reads better smaller on one line than broken in two.
    Returns the smallest size's wrap when nothing fits, so the caller can decide to refuse.
    """
    if one_line_down_to is not None:
        size = fit_one_line(text, font, width, largest, one_line_down_to)
        if fonts.width(text, font, size) <= width:
            return size, [text]
    size = largest
    while True:
        lines = wrap(text, font, size, width)
        if len(lines) <= max_lines or size <= smallest:
            return size, lines
        size = max(smallest, size - 1)


def fit_one_line(text: str, font: str, width: float, largest: float, smallest: float) -> float:
    size = largest
    while size > smallest and fonts.width(text, font, size) > width:
        size -= 0.5
    return size


def draw(c: Canvas, x: float, y: float, text: str, font: str, size: float, align: str = "left") -> None:
    """Draw one line at baseline `y`, switching to the fallback face wherever it must.

    A no-break space (which kept a phrase together when wrapping) is drawn as a plain space,
    so the PDF's text reads and searches as ordinary words."""
    text = text.replace("\u00a0", " ")
    if align != "left":
        w = fonts.width(text, font, size)
        x -= w if align == "right" else w / 2
    for face, piece in fonts.runs(text, font):
        c.setFont(face, size)
        c.drawString(x, y, piece)
        x += c.stringWidth(piece, face, size)
