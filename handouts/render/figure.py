"""Drawing an exercise's figure (library/poses.py made its shapes) as vector paths on a canvas.

Paths, not pictures: crisp at any size, a few hundred bytes each in the PDF, and in the
clinic's colour. The colour is darkened where needed so the figure still reads on a
black-and-white printer; the start pose and the far limbs are paler tints of it
(library/tones.py holds the colour table, shared with the web page).
"""

from __future__ import annotations

from itertools import groupby

from reportlab.pdfgen.canvas import Canvas

from handouts.library.tones import tone_colours
from handouts.models import Figure

KAPPA = 0.5523  # a quarter circle as one Bézier curve: the control points' distance, per unit of radius
_prepared: dict[tuple[int, str, bool], tuple[Figure, str]] = {}  # the figure is kept so its id stays its own


def draw_figure(c: Canvas, figure: Figure, x: float, y: float, w: float, h: float, brand: str, grayscale: bool = False) -> None:
    """Fit the figure's box into (x, y, w, h), centred, and draw it, clipped to its box.

    The figure's paths are written once per process as PDF operators in its own units, to a
    hundredth of a unit, one path per run of marks drawn alike; each page then places them
    under one transform. A drawing costs about half a kilobyte of the PDF and a tenth of a
    millisecond to place."""
    x0, y0, x1, y1 = figure.box
    scale = min(w / (x1 - x0), h / (y1 - y0))
    c.saveState()
    c.translate(x + (w - (x1 - x0) * scale) / 2, y + (h - (y1 - y0) * scale) / 2)
    c.scale(scale, scale)
    c.translate(-x0, -y0)
    clip = c.beginPath()
    clip.rect(x0, y0, x1 - x0, y1 - y0)
    c.clipPath(clip, stroke=0, fill=0)
    key = (id(figure), brand, grayscale)
    found = _prepared.get(key)
    if found is None or found[0] is not figure:
        found = _prepared[key] = (figure, _operators(figure, brand, grayscale))
    c.addLiteral(found[1])
    c.restoreState()


def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") or "0"


def _operators(figure: Figure, brand: str, grayscale: bool) -> str:
    colours = tone_colours(brand, grayscale)
    ops = ["1 J 1 j"]  # round caps and joins: the limbs' rounded ends
    for (kind, tone, width), run in groupby(figure.marks(), key=lambda m: (m.kind, m.tone, m.width)):
        r, g, b = (_n(v) for v in colours[tone])
        ops.append(f"{r} {g} {b} RG {_n(width)} w" if kind == "line" else f"{r} {g} {b} rg")
        for mark in run:
            if kind == "disc":
                (cx, cy), k = mark.points[0], width * KAPPA
                ops.append(
                    f"{_n(cx + width)} {_n(cy)} m "
                    f"{_n(cx + width)} {_n(cy + k)} {_n(cx + k)} {_n(cy + width)} {_n(cx)} {_n(cy + width)} c "
                    f"{_n(cx - k)} {_n(cy + width)} {_n(cx - width)} {_n(cy + k)} {_n(cx - width)} {_n(cy)} c "
                    f"{_n(cx - width)} {_n(cy - k)} {_n(cx - k)} {_n(cy - width)} {_n(cx)} {_n(cy - width)} c "
                    f"{_n(cx + k)} {_n(cy - width)} {_n(cx + width)} {_n(cy - k)} {_n(cx + width)} {_n(cy)} c h"
                )
                continue
            (fx, fy), *rest = mark.points
            ops.append(" ".join([f"{_n(fx)} {_n(fy)} m", *(f"{_n(px)} {_n(py)} l" for px, py in rest)] + (["h"] if kind == "poly" else [])))
        ops.append("S" if kind == "line" else "f")  # f: the nonzero rule, so overlapping shapes stay filled
    return "\n".join(ops)
