"""Finding the log in a photo: its corner markers, its small code, or the page's outline.

What comes out is the map from the log's frame (points, from the top-left marker's
corner) to the photo's pixels, which scanboxes.py reads the boxes through. OpenCV and
zxing-cpp are the `scan` extra.
"""

from __future__ import annotations

import itertools
from typing import Any

import cv2
import numpy as np
import zxingcpp

from handouts.sheet import GRID_HEAD_H, LOG_CODE, LOG_CODE_INSET, MARK, MARK_DROP, MARK_GAP, PAPER, LogCode, marker_columns, parse

FRAME_LEFT = marker_columns(0)[0]  # the frame's left edge on the page
CODE_LEFT = MARK + MARK_GAP + LOG_CODE_INSET
CODE_TOP = (GRID_HEAD_H - LOG_CODE) / 2 - MARK_DROP
BLUR_EDGE = 45
PAPER_CONTRAST = 40  # grey levels between a sheet and the table it lies on, at least
# markers as small as 1% of the photo's longer side around (OpenCV's default, 3%, misses a whole sheet taken from a step back)
MIN_MARKER_PERIMETER = 0.01

_QR: Any = zxingcpp.BarcodeFormat.QRCode  # one format: the reader skips looking for the others


def blurred(small: np.ndarray) -> bool:
    """Edges softer than a phone's focus leaves them: the sharpest Laplacian responses, looked at
    1200 pixels across (sharp photos measure 200 and more, sigma 4 blur about 25)."""
    f = min(1.0, 1200 / max(small.shape))
    g = cv2.resize(small, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else small
    return float(np.percentile(np.abs(cv2.Laplacian(g.astype(np.float32), cv2.CV_32F)), 99.5)) < BLUR_EDGE


def markers(small: np.ndarray, gray: np.ndarray, shrink: float) -> dict[int, list[tuple[float, float]]]:
    """Markers 0–3 by id, each as its four corners in full-size photo pixels.

    A marker a few pixels a cell across, blurred and compressed (a chat app's copy), can come
    out with a cell or two of its inside misread, and the detector then drops it. When one is
    missing, the photo is looked at again with the dictionary's full error correction, and a
    marker found only then is kept where it stands as the frame's corner should: the size of
    those found first, turned the same way, on the right side of each of them."""
    found = _detected(small, gray, shrink, MARKER_CORRECTION)
    if len(found) < 4:
        for i, quad in _detected(small, gray, shrink, 1.0).items():
            if i not in found and found and _in_place(i, quad, found):
                found[i] = quad
    return found


MARKER_CORRECTION = 0.6  # OpenCV's default share of a marker's correctable bits
MARKER_TURN = 0.3  # a marker kept on a second look: turned no more than this (about 17°) from the others...
MARKER_SIZE = (0.7, 1.4)  # ...and this size, against theirs...
FRAME_SEEN = (0.7, 1.4)  # ...across from one by the frame's width times this (a tilted phone foreshortens it)...
LEVEL = 0.25  # ...or level with it: off its line by this share of the way to it, and 2 marker sides more


def _detected(small: np.ndarray, gray: np.ndarray, shrink: float, correction: float) -> dict[int, list[tuple[float, float]]]:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    params.minMarkerPerimeterRate = MIN_MARKER_PERIMETER
    params.errorCorrectionRate = correction
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), params)
    corners, ids, _ = detector.detectMarkers(small)
    found: dict[int, list[tuple[float, float]]] = {}
    if ids is None:
        return found
    sizes: dict[int, float] = {}
    for quad, marker in zip(corners, ids.ravel(), strict=True):
        i = int(marker)
        pts = quad.reshape(4, 2) / shrink
        size = float(cv2.contourArea(pts.astype(np.float32)))
        if i < 4 and size > sizes.get(i, 0):
            if shrink < 1:  # the corners again at full size, to a fraction of a pixel
                win = max(2, round(0.25 * np.sqrt(size) / 6))
                pts = cv2.cornerSubPix(
                    gray,
                    pts.astype(np.float32).reshape(-1, 1, 2),
                    (win, win),
                    (-1, -1),
                    (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05),
                ).reshape(4, 2)
            found[i] = [(float(x), float(y)) for x, y in pts]
            sizes[i] = size
    return found


# where each marker stands in the frame: left (0) or right (1) column, top (0) or bottom (1) row
_FRAME_CORNER = ((0, 0), (1, 0), (1, 1), (0, 1))


def _in_place(i: int, quad: list[tuple[float, float]], found: dict[int, list[tuple[float, float]]]) -> bool:
    """Whether marker i, seen as `quad`, stands where the frame puts it, seen from each marker found:
    in that marker's own square's terms (its side is 1, x along its top edge), the same size and
    turn, across by the frame's width or not at all, above or below it or level."""
    widths = [w / MARK for w in frame_widths()]
    a = np.array(quad, np.float64)
    for j, other in found.items():
        b = np.array(other, np.float64)
        to_local = cv2.getAffineTransform(b[[0, 1, 3]].astype(np.float32), np.array([[0, 0], [1, 0], [0, 1]], np.float32))
        local = cv2.transform(a.reshape(-1, 1, 2), to_local).reshape(4, 2)
        side = float(np.mean([np.hypot(*(local[k] - local[(k + 1) % 4])) for k in range(4)]))
        turn = float(np.arctan2(*(local[1] - local[0])[::-1]))
        if not (MARKER_SIZE[0] < side < MARKER_SIZE[1] and abs(turn) < MARKER_TURN):
            return False
        dx, dy = local[0]
        across = _FRAME_CORNER[i][0] - _FRAME_CORNER[j][0]
        down = _FRAME_CORNER[i][1] - _FRAME_CORNER[j][1]
        if across == 0 and abs(dx) > LEVEL * abs(dy) + 2:
            return False
        if across and not any(FRAME_SEEN[0] * w < across * dx < FRAME_SEEN[1] * w for w in widths):
            return False
        if down == 0 and abs(dy) > LEVEL * abs(dx) + 2:
            return False
        if down and down * dy <= 2:  # below (or above) it by more than two of its sides
            return False
    return True


def find_code(
    gray: np.ndarray, small: np.ndarray, shrink: float, markers: dict[int, list[tuple[float, float]]]
) -> tuple[LogCode | None, tuple[float, float]]:
    """The log's code, and its centre in the photo: near the top-left marker first, then anywhere."""
    first = markers.get(0)
    if first is None and {1, 2, 3} <= set(markers):
        # marker 0 unseen (a thumb, a blur): where the other three put it, the fourth corner of
        # their parallelogram; near enough to straighten the code beside it
        first = [(a[0] + c[0] - b[0], a[1] + c[1] - b[1]) for a, b, c in zip(markers[1], markers[2], markers[3], strict=True)]
    if first is not None:
        local, _ = cv2.findHomography(np.array([(0, 0), (MARK, 0), (MARK, MARK), (0, MARK)], np.float64), np.array(first, np.float64), 0)
        x0, y0 = CODE_LEFT - 6, CODE_TOP - 6
        px = 8.0  # pixels per point: each module about nine pixels across
        size = int((LOG_CODE + 12) * px)
        place = local @ np.array([[1 / px, 0, x0], [0, 1 / px, y0], [0, 0, 1]])
        crop = cv2.warpPerspective(gray, place, (size, size), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
        for attempt in sharper(crop, px):
            for found in zxingcpp.read_barcodes(attempt, formats=_QR):
                code = parse(found.text)
                if code is not None:
                    centre = place @ np.array([size / 2, size / 2, 1])
                    return code, (float(centre[0] / centre[2]), float(centre[1] / centre[2]))
    if first is not None:  # a small or soft photo: the code's modules read one by one
        sampled = sample_code(gray, first, markers)
        if sampled is not None:
            return sampled
    for image, factor in ((small, shrink), (gray, 1.0)) if shrink < 1 else ((gray, 1.0),):
        for found in zxingcpp.read_barcodes(image, formats=_QR):
            code = parse(found.text)
            if code is not None:
                p = found.position
                xs = [p.top_left.x, p.top_right.x, p.bottom_right.x, p.bottom_left.x]
                ys = [p.top_left.y, p.top_right.y, p.bottom_right.y, p.bottom_left.y]
                return code, (sum(xs) / 4 / factor, sum(ys) / 4 / factor)
    return None, (0.0, 0.0)


SAMPLE_PX = 8.0  # pixels per point of the straightened code a sampled reading works on
SAMPLE_MARGIN = 14.0  # points around the code searched for its three finder squares
QR_SIZES = (21, 25, 29)  # the log code's modules a side: version 1 as printed now, then 2 (format 1) and 3


def frame_widths() -> list[float]:
    """Left markers to right markers, in points: it follows from the paper alone (as the code says it)."""
    return [float(round(right - left)) for left, right in (marker_columns(w) for w, _ in PAPER.values())]


def sample_code(
    gray: np.ndarray, first: list[tuple[float, float]], markers: dict[int, list[tuple[float, float]]]
) -> tuple[LogCode, tuple[float, float]] | None:
    """The code read module by module, for a photo whose modules are two pixels or so (a chat app's
    1500 x 2000 copy of a whole page), where a reader's own search fails.

    The code is straightened from the top-left marker and, when the top-right one is seen too,
    from both (the frame's width follows from the paper, so the long top edge fixes the code's
    slant); its three finder squares are found by their shape; each module's centre is sampled
    after sharpening, and the modules go to the reader as a clean code. Its error correction
    refuses anything misread, so a reading is never a guess."""
    square = [(0.0, 0.0), (MARK, 0.0), (MARK, MARK), (0.0, MARK)]
    widths = frame_widths() if 1 in markers else [0.0]
    for width in widths:
        src, dst = list(square), list(first)
        if width:
            src += [(x + width, y) for x, y in square]
            dst += markers[1]
        local, _ = cv2.findHomography(np.array(src, np.float64), np.array(dst, np.float64), 0)
        if local is None:
            continue
        px, margin = SAMPLE_PX, SAMPLE_MARGIN
        size = int((LOG_CODE + 2 * margin) * px)
        place = local @ np.array([[1 / px, 0, CODE_LEFT - margin], [0, 1 / px, CODE_TOP - margin], [0, 0, 1]])
        crop = cv2.warpPerspective(gray, place, (size, size), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
        for n in QR_SIZES:
            found = _sampled(crop, n, LOG_CODE / n * px)
            if found is not None:
                code, (cx, cy) = found
                centre = place @ np.array([cx, cy, 1.0])
                return code, (float(centre[0] / centre[2]), float(centre[1] / centre[2]))
    return None


def _sampled(crop: np.ndarray, n: int, module: float) -> tuple[LogCode, tuple[float, float]] | None:
    corners = _finders(crop, n, module)
    if corners is None:
        return None
    tl, tr, bl = corners
    across, down = (tr - tl) / (n - 7), (bl - tl) / (n - 7)
    cols, rows = np.meshgrid(np.arange(n) - 3.0, np.arange(n) - 3.0)
    xs = (tl[0] + cols * across[0] + rows * down[0]).astype(np.float32)
    ys = (tl[1] + cols * across[1] + rows * down[1]).astype(np.float32)
    image = crop.astype(np.float32)
    soft = cv2.GaussianBlur(image, (0, 0), module * 0.7)
    for amount in (1.5, 2.5, 1.0):  # unsharp: a blurred module's neighbours spill less into it
        values = cv2.remap(cv2.addWeighted(image, 1 + amount, soft, -amount, 0), xs, ys, cv2.INTER_LINEAR)
        level, _ = cv2.threshold(np.clip(values, 0, 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        clean = np.full((n + 8, n + 8), 255, np.uint8)  # with its quiet zone, six pixels a module
        clean[4:-4, 4:-4] = np.where(values < level, 0, 255)
        large = cv2.resize(clean, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
        for found in zxingcpp.read_barcodes(large, formats=_QR, is_pure=True, try_rotate=False, try_downscale=False, try_invert=False):
            code = parse(found.text)
            if code is not None:
                middle = tl + (across + down) * ((n - 1) / 2 - 3)  # tl is module (3, 3)'s centre
                return code, (float(middle[0]), float(middle[1]))
    return None


def _finders(crop: np.ndarray, n: int, module: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The centres of the code's three finder squares (top left, top right, bottom left): the best
    matches of a finder's shape that make a right angle with two equal sides of n - 7 modules."""
    ring = np.ones((7, 7), np.float32)
    ring[1:6, 1:6] = 0
    ring[2:5, 2:5] = 1
    template = cv2.resize(ring, (round(7 * module),) * 2, interpolation=cv2.INTER_NEAREST)
    score = cv2.matchTemplate(255 - crop.astype(np.float32), template, cv2.TM_CCOEFF_NORMED)
    half = template.shape[0] / 2
    peaks: list[tuple[float, np.ndarray]] = []
    for _ in range(8):
        _, best, _, at = cv2.minMaxLoc(score)
        if best < 0.3:
            break
        peaks.append((float(best), np.array([at[0] + half, at[1] + half])))
        r = int(3 * module)
        cv2.rectangle(score, (at[0] - r, at[1] - r), (at[0] + r, at[1] + r), -1.0, -1)
    side = (n - 7) * module
    chosen: tuple[float, np.ndarray, np.ndarray, np.ndarray] | None = None
    for (sa, tl), (sb, tr), (sc, bl) in itertools.permutations(peaks, 3):
        u, v = tr - tl, bl - tl
        if u[0] * v[1] - u[1] * v[0] <= 0:  # top right to the right of, bottom left below, the top left (y down)
            continue
        lu, lv = float(np.hypot(*u)), float(np.hypot(*v))
        if not (0.8 * side < lu < 1.2 * side and 0.8 * side < lv < 1.2 * side):
            continue
        fit = sa + sb + sc - 3 * (abs(float(u @ v)) / (lu * lv) + abs(lu - lv) / side)
        if chosen is None or fit > chosen[0]:
            chosen = (fit, tl, tr, bl)
    return None if chosen is None else chosen[1:]


def paper(small: np.ndarray) -> np.ndarray | None:
    """The outline of the largest bright region, when it is large enough to be a sheet."""
    blurred = cv2.GaussianBlur(small, (0, 0), 2)
    _, paper = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = cv2.morphologyEx(paper, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    biggest = max(contours, key=cv2.contourArea)
    if cv2.contourArea(biggest) < 0.15 * small.size:
        return None
    inside = np.zeros_like(small)
    cv2.drawContours(inside, [biggest], -1, 255, -1)
    # paper is clearly lighter than what it lies on; a patterned table split in two is not
    lighter = cv2.mean(small, inside)[0] - cv2.mean(small, cv2.bitwise_not(inside))[0]
    return biggest if lighter >= PAPER_CONTRAST else None


def sharper(crop: np.ndarray, px: float) -> list[np.ndarray]:
    """The straightened code as seen, then sharpened, then cut to black and white on each
    module's own neighbourhood: a soft photo often reads at the second or third try."""
    soft = cv2.GaussianBlur(crop, (0, 0), px * 0.6)
    sharp = cv2.addWeighted(crop, 2.0, soft, -1.0, 0)
    block = int(px * 6) | 1
    ink = cv2.adaptiveThreshold(sharp, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 10)
    return [crop, sharp, ink]


def page_outline(small: np.ndarray, shrink: float) -> np.ndarray | None:
    """The sheet's four corners in the photo when its whole outline shows against the table."""
    biggest = paper(small)
    if biggest is None:
        return None
    hull = cv2.convexHull(biggest)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4:
        return None
    corners = np.asarray(quad.reshape(4, 2), np.float64)
    h, w = small.shape[:2]
    edge = 0.002 * max(h, w)
    if (corners.min(axis=0) < edge).any() or (corners[:, 0] > w - edge).any() or (corners[:, 1] > h - edge).any():
        return None  # cut off by the photo's edge: that is not the sheet's corner
    sides = [np.hypot(*(corners[i] - corners[(i + 1) % 4])) for i in range(4)]
    ratio = (sides[0] + sides[2]) / (sides[1] + sides[3])
    if not 1.05 < max(ratio, 1 / ratio) < 1.8:  # letter is 1.29, A4 1.41, seen at an angle
        return None
    return corners / shrink


def page_corners(code: LogCode) -> list[tuple[float, float]]:
    w, h = PAPER[code.paper]
    left, top = -FRAME_LEFT, -code.frame_top
    return [(left, top), (left + w, top), (left + w, top + h), (left, top + h)]


def orient(
    page: np.ndarray, code: LogCode, code_centre: tuple[float, float], src: list[tuple[float, float]], dst: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The page's corners in the order top left, top right, bottom right, bottom left of the sheet:
    of the four turns (either way round), the one that puts the log's code where it was seen."""
    centre = page.mean(axis=0)
    angles = np.arctan2(page[:, 1] - centre[1], page[:, 0] - centre[0])
    ring = page[np.argsort(angles)]  # clockwise in the photo (y points down)
    code_at = (CODE_LEFT + LOG_CODE / 2, CODE_TOP + LOG_CODE / 2)
    best: tuple[float, list[tuple[float, float]]] | None = None
    for turn in range(4):
        corners = [tuple(map(float, ring[(turn + k) % 4])) for k in range(4)]
        h, _ = cv2.findHomography(np.array(src, np.float64), np.array(dst + corners, np.float64), 0)
        if h is None:
            continue
        p = h @ np.array([*code_at, 1.0])
        miss = float(np.hypot(p[0] / p[2] - code_centre[0], p[1] / p[2] - code_centre[1]))
        if best is None or miss < best[0]:
            best = (miss, corners)  # type: ignore[assignment]
    assert best is not None
    return best[1]


def misfit(to_image: np.ndarray, frame: list[tuple[float, float]], seen: list[tuple[float, float]]) -> float:
    """The worst distance, in points, between where markers were seen and where the fit puts them."""
    placed = cv2.perspectiveTransform(np.array(frame, np.float64).reshape(-1, 1, 2), to_image).reshape(-1, 2)
    scale = pixels_per_point_at(to_image, frame[0])
    return float(np.max(np.hypot(*(placed - np.array(seen)).T))) / scale


def pixels_per_point_at(to_image: np.ndarray, at: tuple[float, float]) -> float:
    pts = np.array([[at, (at[0] + 10, at[1])]], np.float64).reshape(-1, 1, 2)
    a, b = cv2.perspectiveTransform(pts, to_image).reshape(2, 2)
    return float(np.hypot(*(b - a))) / 10


def pixels_per_point(to_image: np.ndarray, code: LogCode) -> float:
    """How many photo pixels one point of the log covers, at its smallest."""
    pts = np.array(
        [[0, 0], [code.width + code.marker, 0], [code.width + code.marker, code.height + code.marker], [0, code.height + code.marker]],
        np.float64,
    ).reshape(-1, 1, 2)
    seen = cv2.perspectiveTransform(pts, to_image).reshape(4, 2)
    sides = [np.hypot(*(seen[i] - seen[(i + 1) % 4])) for i in range(4)]
    return float(
        min(
            sides[0] / (code.width + code.marker),
            sides[2] / (code.width + code.marker),
            sides[1] / (code.height + code.marker),
            sides[3] / (code.height + code.marker),
        )
    )
