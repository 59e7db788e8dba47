"""Finding the log in a photo: its corner markers, its small code, or the page's outline.

What comes out is the map from the log's frame (points, from the top-left marker's
corner) to the photo's pixels, which scanboxes.py reads the boxes through. OpenCV and
zxing-cpp are the `scan` extra.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import zxingcpp

from handouts.sheet import GRID_HEAD_H, LOG_CODE, LOG_CODE_INSET, MARGIN, MARK, MARK_DROP, MARK_GAP, PAPER, LogCode, parse

FRAME_LEFT = MARGIN - MARK_GAP - MARK  # the frame's left edge on the page, in format 1
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
    """Markers 0–3 by id, each as its four corners in full-size photo pixels."""
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    params.minMarkerPerimeterRate = MIN_MARKER_PERIMETER
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
    for image, factor in ((small, shrink), (gray, 1.0)) if shrink < 1 else ((gray, 1.0),):
        for found in zxingcpp.read_barcodes(image, formats=_QR):
            code = parse(found.text)
            if code is not None:
                p = found.position
                xs = [p.top_left.x, p.top_right.x, p.bottom_right.x, p.bottom_left.x]
                ys = [p.top_left.y, p.top_right.y, p.bottom_right.y, p.bottom_left.y]
                return code, (sum(xs) / 4 / factor, sum(ys) / 4 / factor)
    return None, (0.0, 0.0)


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
