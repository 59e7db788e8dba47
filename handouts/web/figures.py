"""An exercise's drawing as a small SVG picture for the web page's search results and plan.

The same shapes and colours as the printed card (library/tones.py), written as SVG so the
browser draws them crisp at any size; a few hundred bytes each, cached by the browser.
"""

from __future__ import annotations

from handouts.library.tones import tone_colours
from handouts.models import Figure


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgb)


def svg(figure: Figure, brand: str) -> str:
    """The figure's box as the viewBox (y flipped: the drawing's y runs upwards)."""
    x0, y0, x1, y1 = figure.box
    colours = {name: _hex(rgb) for name, rgb in tone_colours(brand).items()}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.2f} {-y1:.2f} {x1 - x0:.2f} {y1 - y0:.2f}" role="img">',
        '<g transform="scale(1,-1)" stroke-linecap="round" stroke-linejoin="round">',
    ]
    for shape in figure.marks():
        colour = colours[shape.tone]
        pts = " ".join(f"{x:.2f},{y:.2f}" for x, y in shape.points)
        if shape.kind == "disc":
            (cx, cy) = shape.points[0]
            parts.append(f'<circle cx="{cx:.2f}" cy="{cy:.2f}" r="{shape.width:.2f}" fill="{colour}"/>')
        elif shape.kind == "poly":
            parts.append(f'<polygon points="{pts}" fill="{colour}"/>')
        else:
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{shape.width:.3f}"/>')
    parts.append("</g></svg>")
    return "".join(parts)
