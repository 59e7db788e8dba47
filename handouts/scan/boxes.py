"""Reading the boxes of a log seen flat: ticked, empty, or unsure.

Each box's inside is compared with the paper around it, so uneven light and a warm lamp
cancel out; a box whose own printed edge cannot be seen (glare, a smudge) is unsure,
and so is one crossed by a line too faint to call. The printed grid is found again by
template matching first, which absorbs a page outline's rougher fit.
"""

from __future__ import annotations

import cv2
import numpy as np

from handouts.sheet import LOG_DAYS, LogCode

SCALE = 4.0  # pixels per point of the straightened log (288 dpi)
INSET = 2.2  # points inside each box's printed edge left unread: the edge and a little misplacement
SEARCH = 5.0  # points the printed boxes may sit away from where the marks say
# A box's inside: the share of it inked, and the longest stroke across it (share of its width).
INK = 0.2  # darker than the paper around it by this share: ink
FAINT = 0.08  # ...by this share: perhaps ink, too faint to call either way
TICKED_SHARE, TICKED_SPAN = 0.025, 0.4
EMPTY_SHARE, EMPTY_SPAN = 0.006, 0.2
EDGE_SEEN = 0.3  # a box's printed edge (0.73 dark on paper when sharp) at least this dark: the box is seen


def straighten(gray: np.ndarray, to_image: np.ndarray, code: LogCode) -> tuple[np.ndarray, float]:
    """The log region seen flat at SCALE pixels per point; `origin` is the frame's (0, 0) in it."""
    origin = 8.0 * SCALE
    w = int((code.width + code.marker) * SCALE + 2 * origin)
    h = int((code.height + code.marker) * SCALE + 2 * origin)
    place = to_image @ np.array([[1 / SCALE, 0, -origin / SCALE], [0, 1 / SCALE, -origin / SCALE], [0, 0, 1]])
    flat = cv2.warpPerspective(gray, place, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return flat.astype(np.float32), origin


def darkness(flat: np.ndarray) -> np.ndarray:
    """How much darker each pixel is than the paper around it, as a share of the paper's brightness:
    uneven light and a yellow lamp cancel out."""
    k = int(4 * SCALE) | 1
    paper = cv2.dilate(flat, np.ones((k, k), np.uint8))  # the brightest nearby: paper, not ink
    paper = cv2.GaussianBlur(paper, (0, 0), k)
    dark: np.ndarray = np.clip((paper - flat) / np.maximum(paper, 1), 0, 1)
    return dark


def register(flat: np.ndarray, code: LogCode, origin: float) -> tuple[float, float]:
    """The small offset between where the marks say the boxes are and where the printed boxes are,
    found by matching a drawing of the empty grid: it absorbs a page outline's rougher fit."""
    dark = darkness(flat)
    s = SCALE
    pad = int(SEARCH * s)
    x0 = int(origin + (code.first[0] - code.pitch / 2) * s)
    y0 = int(origin + (code.first[1] - code.row_pitch / 2) * s)
    w = int(LOG_DAYS * code.pitch * s)
    h = int(code.rows * code.row_pitch * s)
    template = np.zeros((h, w), np.float32)
    for r in range(code.rows):
        for d in range(LOG_DAYS):
            cx, cy = code.box_centre(r, d)
            a = (
                int((cx - code.first[0] + code.pitch / 2 - code.box / 2) * s),
                int((cy - code.first[1] + code.row_pitch / 2 - code.box / 2) * s),
            )
            cv2.rectangle(template, a, (a[0] + int(code.box * s), a[1] + int(code.box * s)), 1.0, max(1, int(0.8 * s)))
    area = dark[max(0, y0 - pad) : y0 + h + pad, max(0, x0 - pad) : x0 + w + pad]
    if area.shape[0] < h or area.shape[1] < w:
        return 0.0, 0.0
    score = cv2.matchTemplate(area, template, cv2.TM_CCORR)
    _, _, _, best = cv2.minMaxLoc(score)
    return (best[0] - min(pad, x0)) / s, (best[1] - min(pad, y0)) / s


def read_boxes(flat: np.ndarray, code: LogCode, origin: float, shift: tuple[float, float]) -> tuple[list[list[bool | None]], float]:
    """Each box called, and the share of boxes whose printed edges could be seen."""
    dark = darkness(flat)
    s = SCALE
    half = code.box / 2 - INSET
    seen = 0
    out: list[list[bool | None]] = []
    for r in range(code.rows):
        row: list[bool | None] = []
        for d in range(LOG_DAYS):
            cx, cy = code.box_centre(r, d)
            cx, cy = origin + (cx + shift[0]) * s, origin + (cy + shift[1]) * s
            inside = dark[int(cy - half * s) : int(cy + half * s), int(cx - half * s) : int(cx + half * s)]
            if edge_darkness(dark, cx, cy, code.box * s / 2) >= EDGE_SEEN:
                seen += 1
                row.append(call_box(inside))
            else:  # glare, a shadow or a smudge hides this box's own printed edge: do not guess
                row.append(None)
        out.append(row)
    return out, seen / (LOG_DAYS * code.rows)


def edge_darkness(dark: np.ndarray, cx: float, cy: float, e: float) -> float:
    """How dark a box's printed edge looks: on each side, the darkest line across a strip two
    points wide, taken along the side; the median of the four sides."""
    w = int(2 * SCALE)
    a, b = int(cy - e * 0.6), int(cy + e * 0.6)
    c, d = int(cx - e * 0.6), int(cx + e * 0.6)
    sides = [
        dark[a:b, int(cx - e) - w : int(cx - e) + w].max(axis=1),
        dark[a:b, int(cx + e) - w : int(cx + e) + w].max(axis=1),
        dark[int(cy - e) - w : int(cy - e) + w, c:d].max(axis=0),
        dark[int(cy + e) - w : int(cy + e) + w, c:d].max(axis=0),
    ]
    return float(np.median([np.median(side) for side in sides if side.size] or [0.0]))


def call_box(inside: np.ndarray) -> bool | None:
    share, span = ink_in(inside, INK)
    if share >= TICKED_SHARE and span >= TICKED_SPAN:
        return True
    if share < EMPTY_SHARE and span < EMPTY_SPAN:
        # nothing dark: but a line across the box too faint to call (a fine pen in a soft photo)
        # makes it unsure rather than empty
        return None if ink_in(inside, FAINT)[1] >= TICKED_SPAN else False
    return None


def ink_in(inside: np.ndarray, level: float) -> tuple[float, float]:
    """The share of the box's inside darker than `level`, and its longest stroke across (share of the width)."""
    ink = (inside > level).astype(np.uint8)
    share = float(ink.mean()) if ink.size else 0.0
    span = 0.0
    if share > 0:
        n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        if n > 1:
            span = float(max(max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) for i in range(1, n)))
            span /= inside.shape[0]
    return share, span


def box_outline(to_image: np.ndarray, code: LogCode, row: int, day: int, shift: tuple[float, float]) -> np.ndarray:
    cx, cy = code.box_centre(row, day)
    cx, cy = cx + shift[0], cy + shift[1]
    b = code.box / 2
    pts = np.array([[cx - b, cy - b], [cx + b, cy - b], [cx + b, cy + b], [cx - b, cy + b]], np.float64)
    return cv2.perspectiveTransform(pts.reshape(-1, 1, 2), to_image).reshape(4, 2)
