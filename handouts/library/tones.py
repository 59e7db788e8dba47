"""An exercise drawing's colours: the clinic's brand colour, darkened until it reads in grey.

One table for the PDF (render/figure.py) and the web page (web/figures.py); small and
free of dataclasses, so drawing a page never pays for reading the pose files.
"""

from __future__ import annotations

from handouts.models import luminance

FIGURE_DARKEST = 0.42  # the figure's colour is darkened until its grey is at most this (0 black, 1 white)
TINTS = {"body": 0.0, "far": 0.38, "start": 0.62, "start-far": 0.74}  # share of white mixed in
FIXED_TONES = {
    "prop": (0.45, 0.45, 0.45),
    "prop-fill": (0.88, 0.88, 0.88),
    "floor": (0.55, 0.55, 0.55),
    "arrow": (0.1, 0.1, 0.1),
    "face": (1.0, 1.0, 1.0),
    "band": (0.78, 0.33, 0.1),  # an orange band, as most are; a mid grey in print
    "start-band": (0.93, 0.72, 0.6),
}
GREY_BAND = {"band": (0.45, 0.45, 0.45), "start-band": (0.75, 0.75, 0.75)}
RGB = tuple[float, float, float]


def tone_colours(brand: str, grayscale: bool = False) -> dict[str, RGB]:
    """Each tone's colour from the brand colour (#rrggbb): one table for the PDF and the web page."""
    r, g, b = (int(brand[i : i + 2], 16) / 255 for i in (1, 3, 5))
    level = luminance(r, g, b)
    if level > FIGURE_DARKEST:
        k = FIGURE_DARKEST / level
        r, g, b = r * k, g * k, b * k
    if grayscale:
        r = g = b = luminance(r, g, b)
    found: dict[str, RGB] = {name: (r + (1 - r) * t, g + (1 - g) * t, b + (1 - b) * t) for name, t in TINTS.items()}
    found.update(FIXED_TONES)
    if grayscale:
        found.update(GREY_BAND)
    return found
