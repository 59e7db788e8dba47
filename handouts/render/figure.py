"""Drawing an exercise's figure (library/poses.py made its shapes) as vector paths on a canvas.

Paths, not pictures: crisp at any size, a few hundred bytes each in the PDF, and in the
clinic's colour. The colour is darkened where needed so the figure still reads on a
black-and-white printer; the start pose and the far limbs are paler tints of it
(library/poses.py holds the colour table, shared with the web page).
"""

from __future__ import annotations

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from handouts.library.poses import tone_colours
from handouts.models import Figure


def draw_figure(c: Canvas, figure: Figure, x: float, y: float, w: float, h: float, brand: str, grayscale: bool = False) -> None:
    """Fit the figure's box into (x, y, w, h), centred, and draw it, clipped to its box.

    Drawn in the figure's own units under one transform, with coordinates to a hundredth of a
    unit and each colour and width set only when it changes: a drawing costs about a
    kilobyte of the PDF."""
    x0, y0, x1, y1 = figure.box
    scale = min(w / (x1 - x0), h / (y1 - y0))
    colours = {name: Color(*rgb) for name, rgb in tone_colours(brand, grayscale).items()}
    c.saveState()
    c.translate(x + (w - (x1 - x0) * scale) / 2, y + (h - (y1 - y0) * scale) / 2)
    c.scale(scale, scale)
    c.translate(-x0, -y0)
    clip = c.beginPath()
    clip.rect(x0, y0, x1 - x0, y1 - y0)
    c.clipPath(clip, stroke=0, fill=0)
    c.setLineCap(1)
    c.setLineJoin(1)
    stroke: Color | None = None
    fill: Color | None = None
    width = -1.0
    for shape in figure.shapes:
        colour = colours[shape.tone]
        pts = [(round(px, 2), round(py, 2)) for px, py in shape.points]
        if shape.kind == "line":
            if colour is not stroke:
                c.setStrokeColor(colour)
                stroke = colour
            if shape.width != width:
                c.setLineWidth(round(shape.width, 3))
                width = shape.width
        elif colour is not fill:
            c.setFillColor(colour)
            fill = colour
        if shape.kind == "disc":
            c.circle(pts[0][0], pts[0][1], round(shape.width, 3), stroke=0, fill=1)
            continue
        path = c.beginPath()
        path.moveTo(*pts[0])
        for p in pts[1:]:
            path.lineTo(*p)
        if shape.kind == "poly":
            path.close()
            c.drawPath(path, stroke=0, fill=1)
        else:
            c.drawPath(path, stroke=1, fill=0)
    c.restoreState()
