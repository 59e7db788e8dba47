"""Reading the boxes of a log seen flat: ticked, empty, or unsure.

Each box's inside is compared with the paper around it, so uneven light, a warm lamp and
the edge of a shadow cancel out. The printed grid is found again by template matching,
first as a whole (which absorbs a page outline's rougher fit), then box by box: a sheet
that was folded or curls does not lie on one plane, so each box is read where its own
printed outline is, and a box whose outline is not found where its neighbours put it, or
not at all (glare, a smudge, a fold), is unsure. A box whose outline as a whole is outweighed
by a thick tick over its thin lines is found by its four sides instead, each seen where the
boxes around it put it. A straight line that runs on across the row (a crease, a ruler's pen
line) is taken out before a box is called, and a box scribbled over is unsure: a tick taken
back is never counted as done.

How dark the printed lines look in this photo sets how dark an edge must be to count as seen,
and a line as faint ink: a chat app's small, soft copy greys every line, its boxes' and a fine
pen's alike, and an absolute level would call its boxes unseen and its faintest ticks empty.
"""

from __future__ import annotations

from typing import NamedTuple

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
EDGE_SEEN = 0.3  # a box's printed edge (0.73 dark on paper when sharp) at least this dark: the box is seen...
EDGE_SHARE, EDGE_LEAST = 0.8, 0.15  # ...or, in a soft photo, this share of the log's usual edge and this dark
INK_OF_EDGE = 0.4  # a stroke 0.4 as dark as the boxes' edges is ink, in a photo that greys them (a chat app's: 0.12)
FAINT_OF_EDGE = 0.2  # a line this share as dark as the boxes' edges may be a fine pen's tick, blurred as they are
PAPER_PT = 24.0  # dark patches narrower than this are ink (a stroke, a box filled in); anything wider is light and shade
LOCAL = 2.5  # points a box's printed outline is looked for around where the whole grid puts it
OUTLINE_FOUND = 0.35  # the box's outline matches a drawn one at least this well: it is there
DRIFT = 1.2  # points a box may sit away from where its neighbours' outlines put it
ANCHORS = (0, 4, 9, 13)  # the days a row's clearest box is looked for among, before following the row from it
NEIGHBOURS = 3  # found boxes around one (two days either side, a row above and below) that may place it
SIDE_REACH = 1.0  # points a side may sit from where they put it: well inside INSET, so a side is never read as ink
LINE_PITCHES = 2.2  # a straight line this many days long, or longer, is not a tick: a crease, a rule
FILLED = 0.68  # a box's inside this much inked (a thick pen's cross covers up to 0.6): scribbled over, not a tick to count


def straighten(gray: np.ndarray, to_image: np.ndarray, code: LogCode) -> tuple[np.ndarray, float]:
    """The log region seen flat at SCALE pixels per point; `origin` is the frame's (0, 0) in it."""
    origin = 16.0 * SCALE  # room around the frame for a grid found a few points off, and its boxes searched around
    w = int((code.width + code.marker) * SCALE + 2 * origin)
    h = int((code.height + code.marker) * SCALE + 2 * origin)
    place = to_image @ np.array([[1 / SCALE, 0, -origin / SCALE], [0, 1 / SCALE, -origin / SCALE], [0, 0, 1]])
    flat = cv2.warpPerspective(gray, place, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return flat.astype(np.float32), origin


def darkness(flat: np.ndarray) -> np.ndarray:
    """How much darker each pixel is than the paper around it, as a share of the paper's brightness.

    The paper is the photo with every dark patch narrower than PAPER_PT closed over (a morphological
    closing, wider than a box, so a box blotted out is still ink): uneven light and a yellow lamp
    cancel out, and the edge of a shadow, a step and not a stroke, stays paper on both sides instead
    of showing as a line of ink."""
    k = int(PAPER_PT * SCALE) | 1
    paper = cv2.morphologyEx(flat, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), SCALE / 2)
    dark: np.ndarray = np.clip((paper - flat) / np.maximum(paper, 1), 0, 1)
    return dark


def register(dark: np.ndarray, code: LogCode, origin: float) -> tuple[float, float]:
    """The small offset between where the marks say the boxes are and where the printed boxes are,
    found by matching a drawing of the empty grid: it absorbs a page outline's rougher fit."""
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


class Placed(NamedTuple):
    """Where each box's printed outline was found (its centre, in points of the frame) and whether
    it was found where its neighbours put it."""

    centres: np.ndarray  # rows x days x 2
    found: np.ndarray  # rows x days, bool: outlined, where the neighbours put it
    outlined: np.ndarray  # rows x days, bool: an outline was found (perhaps out of line: a fold)


def place_boxes(dark: np.ndarray, code: LogCode, origin: float, shift: tuple[float, float]) -> Placed:
    """Each box's own printed outline, followed along its row: the row's clearest box is looked for
    within SEARCH points of where the whole grid puts it, and each next box within LOCAL points of
    where the one before it was, as a sheet that bends does so smoothly. Then each is checked
    against its neighbours (two days either side, the rows above and below)."""
    s = SCALE
    line = max(1, round(0.8 * s))
    side = round(code.box * s)
    size = side + 2 * line
    template = np.zeros((size, size), np.float32)
    cv2.rectangle(template, (line, line), (line + side - 1, line + side - 1), 1.0, line)
    # only the outline and the paper either side of it count: ink inside the box is not the box
    band = np.zeros((size, size), np.uint8)
    cv2.rectangle(band, (line, line), (line + side - 1, line + side - 1), 1, 3 * line)
    band[: 2 * line] = band[-2 * line :] = 1
    band[:, : 2 * line] = band[:, -2 * line :] = 1
    weights = band.astype(np.float32)

    def match(r: int, d: int, around: np.ndarray, reach_pt: float) -> tuple[np.ndarray, float]:
        cx, cy = code.box_centre(r, d)
        reach = round(reach_pt * s)
        x = round(origin + (cx + shift[0] + around[0]) * s) - size // 2 - reach
        y = round(origin + (cy + shift[1] + around[1]) * s) - size // 2 - reach
        window = dark[max(0, y) : y + size + 2 * reach, max(0, x) : x + size + 2 * reach]
        if x < 0 or y < 0 or window.shape != (size + 2 * reach, size + 2 * reach) or float(window.std()) < 1e-4:
            return around, 0.0
        score = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED, mask=weights)
        score[~np.isfinite(score)] = 0
        _, best, _, at = cv2.minMaxLoc(score)
        return around + ((at[0] - reach) / s, (at[1] - reach) / s), float(best)

    rows = code.rows
    offsets = np.zeros((rows, LOG_DAYS, 2), np.float64)
    scores = np.zeros((rows, LOG_DAYS), np.float64)
    none = np.zeros(2)
    for r in range(rows):
        wide = {d: match(r, d, none, SEARCH) for d in ANCHORS}
        anchor = max(wide, key=lambda d: wide[d][1])
        offsets[r, anchor], scores[r, anchor] = wide[anchor]
        for step in (1, -1):
            d = anchor + step
            while 0 <= d < LOG_DAYS:
                previous = offsets[r, d - step] if scores[r, d - step] >= OUTLINE_FOUND else offsets[r, anchor]
                offsets[r, d], scores[r, d] = match(r, d, previous, LOCAL)
                d += step
    found = scores >= OUTLINE_FOUND
    centres = np.zeros_like(offsets)
    agreed = np.zeros_like(found)
    for r in range(rows):
        for d in range(LOG_DAYS):
            cx, cy = code.box_centre(r, d)
            centres[r, d] = (cx + shift[0] + offsets[r, d, 0], cy + shift[1] + offsets[r, d, 1])
            near = [
                offsets[rr, dd]
                for rr in range(max(0, r - 1), min(rows, r + 2))
                for dd in range(max(0, d - 2), min(LOG_DAYS, d + 3))
                if (rr, dd) != (r, d) and found[rr, dd]
            ]
            if found[r, d] and len(near) >= 2:
                agreed[r, d] = float(np.hypot(*(offsets[r, d] - np.median(near, axis=0)))) <= DRIFT
    return Placed(centres, agreed, found)


def lines_across(dark: np.ndarray, code: LogCode, origin: float, placed: Placed) -> np.ndarray:
    """A mask of the straight lines that run on across the log (creases, fold lines, a pen line along
    the row): looked for only in the paper between the boxes, as straight runs that cross from one
    gap to the next for LINE_PITCHES days or more. A tick, even one over its border, stays near its box."""
    s = SCALE
    keep = np.zeros(dark.shape, np.uint8)
    centres = origin + placed.centres.reshape(-1, 2) * s
    half = code.box * s / 2
    (x0, y0), (x1, y1) = centres.min(axis=0), centres.max(axis=0)
    cv2.rectangle(
        keep,
        (round(x0 - code.pitch * s), round(y0 - code.row_pitch * s / 2)),
        (round(x1 + code.pitch * s), round(y1 + code.row_pitch * s / 2)),
        1,
        -1,
    )
    margin = 1.2 * s  # the printed edge and its blur
    for x, y in centres:
        cv2.rectangle(
            keep, (round(x - half - margin), round(y - half - margin)), (round(x + half + margin), round(y + half + margin)), 0, -1
        )
    ink = ((dark > FAINT) & (keep > 0)).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(keep)  # the log's boxes and the paper around them, not the labels
    length = LINE_PITCHES * code.pitch * s
    gap = (code.box + 2 * 1.2 + 1) * s  # a line goes on across a box: it is seen again in the next gap
    votes = round(2 * (code.pitch - code.box) * s)
    found = cv2.HoughLinesP(ink[by : by + bh, bx : bx + bw], 1, np.pi / 360, votes, minLineLength=round(length), maxLineGap=round(gap))
    if found is not None:
        found = found.reshape(-1, 4) + [bx, by, bx, by]
    mask = np.zeros(dark.shape, np.uint8)
    for x1, y1, x2, y2 in found if found is not None else []:
        v = np.array([x2 - x1, y2 - y1], np.float64)
        v *= code.pitch * s / max(1e-6, float(np.hypot(*v)))  # on through the box at either end
        a, b = np.array([x1, y1]) - v, np.array([x2, y2]) + v
        cv2.line(mask, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), 1, max(3, round(1.6 * s)))
    return mask.astype(bool)


def read_boxes(dark: np.ndarray, code: LogCode, origin: float, shift: tuple[float, float]) -> tuple[list[list[bool | None]], float, Placed]:
    """Each box called where its own outline is, the share of boxes whose printed outlines were
    found where their neighbours put them and could be seen, and where they are."""
    s = SCALE
    half = code.box / 2 - INSET
    placed = place_boxes(dark, code, origin, shift)
    at = origin + placed.centres * s
    edges = np.array([[edge_darkness(dark, x, y, code.box * s / 2) for x, y in row] for row in at])
    # how dark a printed line 0.8 pt wide looks in this photo: a soft or small photo greys it, and
    # a fine pen's stroke, a third as wide, more so
    usual = float(np.median(edges[placed.found])) if placed.found.any() else EDGE_SEEN
    enough = max(EDGE_LEAST, min(EDGE_SEEN, EDGE_SHARE * usual))
    ink, faint = min(INK, INK_OF_EDGE * usual), min(FAINT, FAINT_OF_EDGE * usual)
    before = placed.found
    placed = sides_where_neighbours_put_them(dark, code, origin, placed, enough)
    visible = placed.found & ((edges >= enough) | ~before)  # those placed by their sides showed all four
    across = lines_across(dark, code, origin, placed)
    centres = origin + placed.centres * s
    seen = 0
    out: list[list[bool | None]] = []
    for r in range(code.rows):
        row: list[bool | None] = []
        for d in range(LOG_DAYS):
            cx, cy = centres[r, d]
            area = (slice(int(cy - half * s), int(cy + half * s)), slice(int(cx - half * s), int(cx + half * s)))
            if visible[r, d]:
                seen += 1
                inside = np.where(across[area], 0.0, dark[area])
                row.append(call_box(inside, ink, faint))
            else:  # glare, a shadow, a smudge or a fold hides this box's own printed edge: do not guess
                row.append(None)
        out.append(row)
    return out, seen / (LOG_DAYS * code.rows), placed


def sides_where_neighbours_put_them(dark: np.ndarray, code: LogCode, origin: float, placed: Placed, enough: float) -> Placed:
    """A box whose outline did not match as a whole (a thick pen's tick over it, in a soft photo,
    outweighs its thin printed lines) is found after all when each of its four sides is seen on
    its own, within SIDE_REACH of where the found boxes around it put it."""
    found, centres = placed.found.copy(), placed.centres.copy()
    rows = code.rows
    offsets = placed.centres - np.array([[code.box_centre(r, d) for d in range(LOG_DAYS)] for r in range(rows)])
    for r, d in zip(*np.nonzero(~placed.found), strict=True):
        near = [
            offsets[rr, dd]
            for rr in range(max(0, r - 1), min(rows, r + 2))
            for dd in range(max(0, d - 2), min(LOG_DAYS, d + 3))
            if placed.found[rr, dd]
        ]
        if len(near) < NEIGHBOURS:
            continue
        centre = np.array(code.box_centre(r, d)) + np.median(near, axis=0)
        cx, cy = origin + centre * SCALE
        e = code.box * SCALE / 2
        if min(edge_sides(dark, cx, cy, e, SIDE_REACH)) >= enough:
            # read where its sides are, not only near them: a printed side inside the part read is ink
            found[r, d], centres[r, d] = True, (np.array(centre_of_sides(dark, cx, cy, e, 2 * SIDE_REACH)) - origin) / SCALE
    return Placed(centres, found, placed.outlined)


def centre_of_sides(dark: np.ndarray, cx: float, cy: float, e: float, reach: float) -> tuple[float, float]:
    """The box's centre from where its four printed sides are, each looked for `reach` points
    either side of where it should be: the middle of the darker half of the line across the side
    (taken as the median along the side, so a tick across it does not pull it)."""

    def peak(strip: np.ndarray, start: int) -> float:
        profile = np.median(strip, axis=0) if strip.size else strip.reshape(-1)
        if not profile.size or float(profile.max()) <= 0:
            return float(start + strip.shape[1] // 2)
        weights = np.where(profile >= profile.max() / 2, profile, 0.0)
        return float(start + (weights * np.arange(profile.size)).sum() / weights.sum())

    (left, right, top, bottom), starts = _side_strips(dark, cx, cy, e, reach)
    xs = peak(left, starts[0]), peak(right, starts[1])
    ys = peak(top, starts[2]), peak(bottom, starts[3])
    return sum(xs) / 2, sum(ys) / 2


def edge_sides(dark: np.ndarray, cx: float, cy: float, e: float, reach: float = 2.0) -> list[float]:
    """How dark each of a box's printed sides looks: the darkest line across a strip `reach` points
    either side of where the side should be, taken along the side's middle; a tick across it is
    a short stretch of that, so the median along the side is the printed line."""
    strips, _ = _side_strips(dark, cx, cy, e, reach)
    return [float(np.median(strip.max(axis=1))) if strip.size else 0.0 for strip in strips]


def _side_strips(dark: np.ndarray, cx: float, cy: float, e: float, reach: float) -> tuple[list[np.ndarray], list[int]]:
    """The strips across a box's left, right, top and bottom sides (the middle 60% of each), each as
    rows along the side and columns across it, with where each strip starts across (pixels)."""
    w = int(reach * SCALE)
    a, b = int(cy - e * 0.6), int(cy + e * 0.6)
    c, d = int(cx - e * 0.6), int(cx + e * 0.6)
    starts = [int(cx - e) - w, int(cx + e) - w, int(cy - e) - w, int(cy + e) - w]
    strips = [
        dark[a:b, starts[0] : starts[0] + 2 * w],
        dark[a:b, starts[1] : starts[1] + 2 * w],
        dark[starts[2] : starts[2] + 2 * w, c:d].T,
        dark[starts[3] : starts[3] + 2 * w, c:d].T,
    ]
    return strips, starts


def edge_darkness(dark: np.ndarray, cx: float, cy: float, e: float) -> float:
    """How dark a box's printed edge looks: the median of its four sides."""
    return float(np.median(edge_sides(dark, cx, cy, e)))


def call_box(inside: np.ndarray, ink: float = INK, faint: float = FAINT) -> bool | None:
    """Ticked, empty or unsure; `ink` and `faint` are lower in a soft photo, whose strokes are as
    greyed as its printed lines. Scribbled over is judged at full INK: blur spreads a thick tick."""
    share, span = ink_in(inside, INK)
    if share >= FILLED:
        return None  # scribbled over or blotted out: a tick taken back is not counted, nor guessed empty
    if ink < INK:
        share, span = ink_in(inside, ink)
    if share >= TICKED_SHARE and span >= TICKED_SPAN:
        return True
    if share < EMPTY_SHARE and span < EMPTY_SPAN:
        # nothing dark: but a line across the box too faint to call (a fine pen in a soft photo)
        # makes it unsure rather than empty
        return None if ink_in(inside, faint)[1] >= TICKED_SPAN else False
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


def box_outline(to_image: np.ndarray, code: LogCode, row: int, day: int, placed: Placed) -> np.ndarray:
    cx, cy = placed.centres[row, day]
    b = code.box / 2
    pts = np.array([[cx - b, cy - b], [cx + b, cy - b], [cx + b, cy + b], [cx - b, cy + b]], np.float64)
    return cv2.perspectiveTransform(pts.reshape(-1, 1, 2), to_image).reshape(4, 2)
