"""Reading a returned two-week log from a phone photo: which boxes the patient ticked.

The photo is found by the log's four corner markers (three are enough), or by the
page's outline when glare or a thumb hides some of them; the small code beside the
log says which sheet it is and where every box sits, so no record is needed to read
it. The log is straightened to a fixed scale, each box's inside is compared with the
paper around it, and a box is called ticked, empty, or unsure: a box this cannot
call is listed for the therapist to look at, never guessed.

OpenCV and zxing-cpp are the `scan` extra, imported here only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import cv2
import numpy as np
import zxingcpp

from handouts.errors import DataError
from handouts.layout import GRID_HEAD_H, LOG_CODE, LOG_CODE_INSET, MARGIN, MARK, MARK_DROP, MARK_GAP, PAPER
from handouts.logcode import LogCode, parse
from handouts.scanreport import Tally, tally

if TYPE_CHECKING:
    from handouts.history import History, Record

SCALE = 4.0                  # pixels per point of the straightened log (288 dpi)
INSET = 2.2                  # points inside each box's printed edge left unread: the edge and a little misplacement
SEARCH = 5.0                 # points the printed boxes may sit away from where the marks say
FRAME_LEFT = MARGIN - MARK_GAP - MARK   # the frame's left edge on the page, in format 1
CODE_LEFT = MARK + MARK_GAP + LOG_CODE_INSET
CODE_TOP = (GRID_HEAD_H - LOG_CODE) / 2 - MARK_DROP
MAX_SIDE = 2400              # larger photos are looked at this size to find the sheet
LEAST_PT = 1.1               # photo pixels per point below which a pen line is too thin to see
CODE_PT = 2.0                # ...and below which the small code's modules cannot be told apart
BLUR_EDGE = 45
OUTLINE_MISFIT = 3.0         # points a page-outline fit may miss the markers it can see by
PAPER_CONTRAST = 40          # grey levels between a sheet and the table it lies on, at least
# A box's inside: the share of it inked, and the longest stroke across it (share of its width).
INK = 0.2                    # darker than the paper around it by this share: ink
FAINT = 0.08                 # ...by this share: perhaps ink, too faint to call either way
TICKED_SHARE, TICKED_SPAN = 0.025, 0.4
EMPTY_SHARE, EMPTY_SPAN = 0.006, 0.2
EDGE_SEEN = 0.3              # a box's printed edge (0.73 dark on paper when sharp) at least this dark: the box is seen
SEEN_ENOUGH = 0.5            # fewer boxes seen than this share: the photo is refused, not read in part


_QR: Any = zxingcpp.BarcodeFormat.QRCode  # one format: the reader skips looking for the others


class Unreadable(DataError):
    """A photo that cannot be read, with what to do about it."""


NO_SHEET = ("the log's corner markers are not in the photo: photograph the whole sheet, flat, "
            "with the four black squares beside the log in the picture")
NO_CODE = ("the small code at the top left of the log cannot be read: photograph the whole log, "
           "flat and in focus, without a shadow or glare over it")
TOO_FEW = ("only {n} of the log's four corner markers are in the photo and the page's edges are not: "
           "photograph the whole sheet, flat, with the four black squares beside the log in the picture")
BLURRED = ("the log's boxes cannot be seen clearly (the photo is blurred, or a lamp or window shines on it): "
           "hold the phone still, let it focus, avoid reflections, and take it again")
NOT_A_PHOTO = "not a photo this can read; use a JPEG or PNG picture of the sheet"
TOO_SMALL = ("the log is too small in the photo to read the boxes: move closer, so the log fills "
             "most of the picture")


@dataclass
class Reading:
    """What one photo says: the sheet's code and each box as ticked (True), empty (False) or unsure (None)."""

    photo: str
    sha256: str
    code: LogCode
    boxes: list[list[bool | None]]
    found_by: str                        # "markers" or "page outline"
    outlines: list[list[np.ndarray]]     # each box's corners in the photo, for drawing the reading on it
    image: np.ndarray | None = None

    def days(self, row: int, state: bool | None) -> list[int]:
        return [d for d, s in enumerate(self.boxes[row]) if s is state]


def read_photo(path: Path, label: str | None = None) -> Reading:
    """Read a photo file; `label` names it in messages (the web page's upload name)."""
    name = label or str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Unreadable(f"{name}: cannot read the photo ({e.strerror or e})") from None
    image = decode(data, path, name)
    reading = read_image(image, name)
    reading.sha256 = hashlib.sha256(data).hexdigest()
    reading.image = image
    return reading


class Outcome(NamedTuple):
    """One photo read: the boxes, what they add up to, and what the history made of it."""

    reading: Reading
    tally: Tally
    record: Record | None            # the handout this sheet was, when this history has it
    recorded: bool | None            # True new, False the same photo was read before, None not recorded
    history_problem: str = ""


def scan_photo(path: Path, history: History | None, label: str | None = None) -> Outcome:
    """Read one photo and record it against its handout. A history that cannot be used never
    costs the reading: the problem comes back in `history_problem`."""
    reading = read_photo(path, label)
    record: Record | None = None
    recorded: bool | None = None
    problem = ""
    if history is not None:
        from handouts.history import HistoryError

        try:
            record = history.by_sheet(reading.code.sheet)
            if record is not None:
                t = tally(reading.code, reading.boxes, record)
                record, recorded = history.record_scan(reading.code.sheet, reading.sha256, t.done, t.planned,
                                                       [r.ticked for r in t.rows], [r.unsure for r in t.rows])
        except HistoryError as e:
            problem = f"{e}\nthe reading of {label or path} was not recorded in the history"
    return Outcome(reading, tally(reading.code, reading.boxes, record), record, recorded, problem)


def drawn(reading: Reading, summary: str, width: int | None = None) -> bytes:
    """The photo with the reading on it, as JPEG: green for ticked, orange and a question mark for
    unsure; `width` shrinks it (the web page's copy)."""
    assert reading.image is not None
    out = reading.image.copy()
    if width is not None and out.shape[1] > width:
        f = width / out.shape[1]
        out = cv2.resize(out, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        reading = Reading(reading.photo, reading.sha256, reading.code, reading.boxes, reading.found_by,
                          [[quad * f for quad in row] for row in reading.outlines])
    line = max(2, round(min(out.shape[:2]) / 700))
    colours = {True: (40, 160, 30), False: (150, 150, 150), None: (0, 140, 255)}
    for row, states in zip(reading.outlines, reading.boxes, strict=True):
        for quad, state in zip(row, states, strict=True):
            pts = np.round(quad).astype(np.int32)
            cv2.polylines(out, [pts], True, colours[state], line * (1 if state is False else 2), cv2.LINE_AA)
            if state is None:
                x, y = pts.mean(axis=0)
                cv2.putText(out, "?", (int(x) - 4 * line, int(y) + 4 * line), cv2.FONT_HERSHEY_SIMPLEX,
                            line * 0.6, colours[None], line, cv2.LINE_AA)
    scale = out.shape[1] / 1400
    cv2.rectangle(out, (0, 0), (out.shape[1], int(60 * scale)), (255, 255, 255), -1)
    cv2.putText(out, summary, (int(15 * scale), int(42 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 1.1 * scale,
                (20, 20, 20), max(1, round(2 * scale)), cv2.LINE_AA)
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return bytes(jpeg.tobytes())


def decode(data: bytes, path: Path, name: str) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)  # turned upright by its EXIF tag
    if image is None and path.suffix.lower() in (".heic", ".heif"):
        try:
            from pillow_heif import register_heif_opener
        except ImportError:
            raise Unreadable(f"{name}: an iPhone (HEIC) photo needs the heic extra: "
                             "pip install '.[heic]', or send the photo as JPEG") from None
        import io

        from PIL import Image, ImageOps

        register_heif_opener()
        with Image.open(io.BytesIO(data)) as im:
            image = np.array(ImageOps.exif_transpose(im).convert("RGB"))[:, :, ::-1].copy()
    if image is None:
        raise Unreadable(f"{name}: {NOT_A_PHOTO}")
    return image


def read_image(image: np.ndarray, photo: str = "photo") -> Reading:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    # a photo a little larger than MAX_SIDE is looked at as it is: shrinking it by a few per cent
    # softens the markers more than it saves
    shrink = MAX_SIDE / max(gray.shape) if max(gray.shape) > 1.25 * MAX_SIDE else 1.0
    small = cv2.resize(gray, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) if shrink < 1 else gray
    markers = _markers(small, gray, shrink)
    code, code_centre = _find_code(gray, small, shrink, markers)
    if code is None:
        raise Unreadable(f"{photo}: {_why_no_code(small, markers)}")
    found_by = "markers"
    src = [pt for i in sorted(markers) for pt in code.marker_corners()[i]]
    dst = [pt for i in sorted(markers) for pt in markers[i]]
    if len(markers) < 3:
        page = _page_outline(small, shrink)
        if page is None:
            raise Unreadable(f"{photo}: {TOO_FEW.format(n=len(markers)) if markers else NO_SHEET}")
        found_by = "page outline"
        seen = list(dst)  # the markers' corners, as photographed
        src += _page_corners(code)
        dst += _orient(page, code, code_centre, src, dst)
    to_image, _ = cv2.findHomography(np.array(src, np.float64), np.array(dst, np.float64), 0)
    if found_by == "page outline" and markers and _misfit(to_image, src[:len(seen)], seen) > OUTLINE_MISFIT:
        # the outline disagrees with the markers it should agree with: a corner cut off, a second sheet
        raise Unreadable(f"{photo}: {TOO_FEW.format(n=len(markers))}")
    if _pixels_per_point(to_image, code) < LEAST_PT:
        raise Unreadable(f"{photo}: {TOO_SMALL}")
    straight, origin = _straighten(gray, to_image, code)
    shift = _register(straight, code, origin)
    boxes, visible = _read_boxes(straight, code, origin, shift)
    if visible < SEEN_ENOUGH:
        raise Unreadable(f"{photo}: {BLURRED}")
    outlines = [[_box_outline(to_image, code, r, d, shift) for d in range(14)] for r in range(code.rows)]
    return Reading(photo, "", code, boxes, found_by, outlines)


def _why_no_code(small: np.ndarray, markers: dict[int, list[tuple[float, float]]]) -> str:
    """The likeliest reason, among those a person can act on, that the log's code was not read."""
    if markers:
        sides = [np.hypot(*np.subtract(m[0], m[1])) for m in markers.values()]
        if float(np.median(sides)) / MARK < CODE_PT:
            return TOO_SMALL
    # a sheet out of focus: markers, or paper with something on it (not a blank wall)
    if _blurred(small) and (markers or (_paper(small) is not None and float(small.std()) > 12)):
        return BLURRED
    if 0 < len(markers) < 3:
        return TOO_FEW.format(n=len(markers))
    return NO_CODE if markers else NO_SHEET


def _blurred(small: np.ndarray) -> bool:
    """Edges softer than a phone's focus leaves them: the sharpest Laplacian responses, looked at
    1200 pixels across (sharp photos measure 200 and more, sigma 4 blur about 25)."""
    f = min(1.0, 1200 / max(small.shape))
    g = cv2.resize(small, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else small
    return float(np.percentile(np.abs(cv2.Laplacian(g.astype(np.float32), cv2.CV_32F)), 99.5)) < BLUR_EDGE


def _markers(small: np.ndarray, gray: np.ndarray, shrink: float) -> dict[int, list[tuple[float, float]]]:
    """Markers 0–3 by id, each as its four corners in full-size photo pixels."""
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
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
                pts = cv2.cornerSubPix(gray, pts.astype(np.float32).reshape(-1, 1, 2), (win, win), (-1, -1),
                                       (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05)).reshape(4, 2)
            found[i] = [(float(x), float(y)) for x, y in pts]
            sizes[i] = size
    return found


def _find_code(gray: np.ndarray, small: np.ndarray, shrink: float,
               markers: dict[int, list[tuple[float, float]]]) -> tuple[LogCode | None, tuple[float, float]]:
    """The log's code, and its centre in the photo: near the top-left marker first, then anywhere."""
    first = markers.get(0)
    if first is None and {1, 2, 3} <= set(markers):
        # marker 0 unseen (a thumb, a blur): where the other three put it, the fourth corner of
        # their parallelogram; near enough to straighten the code beside it
        first = [(a[0] + c[0] - b[0], a[1] + c[1] - b[1]) for a, b, c in zip(markers[1], markers[2], markers[3],
                                                                               strict=True)]
    if first is not None:
        local, _ = cv2.findHomography(np.array([(0, 0), (MARK, 0), (MARK, MARK), (0, MARK)], np.float64),
                                      np.array(first, np.float64), 0)
        x0, y0 = CODE_LEFT - 6, CODE_TOP - 6
        px = 8.0  # pixels per point: each module about nine pixels across
        size = int((LOG_CODE + 12) * px)
        place = local @ np.array([[1 / px, 0, x0], [0, 1 / px, y0], [0, 0, 1]])
        crop = cv2.warpPerspective(gray, place, (size, size), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
        for attempt in _sharper(crop, px):
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


def _paper(small: np.ndarray) -> np.ndarray | None:
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


def _sharper(crop: np.ndarray, px: float) -> list[np.ndarray]:
    """The straightened code as seen, then sharpened, then cut to black and white on each
    module's own neighbourhood: a soft photo often reads at the second or third try."""
    soft = cv2.GaussianBlur(crop, (0, 0), px * 0.6)
    sharp = cv2.addWeighted(crop, 2.0, soft, -1.0, 0)
    block = int(px * 6) | 1
    ink = cv2.adaptiveThreshold(sharp, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 10)
    return [crop, sharp, ink]


def _page_outline(small: np.ndarray, shrink: float) -> np.ndarray | None:
    """The sheet's four corners in the photo when its whole outline shows against the table."""
    biggest = _paper(small)
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


def _page_corners(code: LogCode) -> list[tuple[float, float]]:
    w, h = PAPER[code.paper]
    left, top = -FRAME_LEFT, -code.frame_top
    return [(left, top), (left + w, top), (left + w, top + h), (left, top + h)]


def _orient(page: np.ndarray, code: LogCode, code_centre: tuple[float, float],
            src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The page's corners in the order top left, top right, bottom right, bottom left of the sheet:
    of the four turns (either way round), the one that puts the log's code where it was seen."""
    centre = page.mean(axis=0)
    angles = np.arctan2(page[:, 1] - centre[1], page[:, 0] - centre[0])
    ring = page[np.argsort(angles)]            # clockwise in the photo (y points down)
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


def _misfit(to_image: np.ndarray, frame: list[tuple[float, float]], seen: list[tuple[float, float]]) -> float:
    """The worst distance, in points, between where markers were seen and where the fit puts them."""
    placed = cv2.perspectiveTransform(np.array(frame, np.float64).reshape(-1, 1, 2), to_image).reshape(-1, 2)
    scale = _pixels_per_point_at(to_image, frame[0])
    return float(np.max(np.hypot(*(placed - np.array(seen)).T))) / scale


def _pixels_per_point_at(to_image: np.ndarray, at: tuple[float, float]) -> float:
    pts = np.array([[at, (at[0] + 10, at[1])]], np.float64).reshape(-1, 1, 2)
    a, b = cv2.perspectiveTransform(pts, to_image).reshape(2, 2)
    return float(np.hypot(*(b - a))) / 10


def _pixels_per_point(to_image: np.ndarray, code: LogCode) -> float:
    """How many photo pixels one point of the log covers, at its smallest."""
    pts = np.array([[0, 0], [code.width + code.marker, 0], [code.width + code.marker, code.height + code.marker],
                    [0, code.height + code.marker]], np.float64).reshape(-1, 1, 2)
    seen = cv2.perspectiveTransform(pts, to_image).reshape(4, 2)
    sides = [np.hypot(*(seen[i] - seen[(i + 1) % 4])) for i in range(4)]
    return float(min(sides[0] / (code.width + code.marker), sides[2] / (code.width + code.marker),
                     sides[1] / (code.height + code.marker), sides[3] / (code.height + code.marker)))


def _straighten(gray: np.ndarray, to_image: np.ndarray, code: LogCode) -> tuple[np.ndarray, float]:
    """The log region seen flat at SCALE pixels per point; `origin` is the frame's (0, 0) in it."""
    origin = 8.0 * SCALE
    w = int((code.width + code.marker) * SCALE + 2 * origin)
    h = int((code.height + code.marker) * SCALE + 2 * origin)
    place = to_image @ np.array([[1 / SCALE, 0, -origin / SCALE], [0, 1 / SCALE, -origin / SCALE], [0, 0, 1]])
    flat = cv2.warpPerspective(gray, place, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
    return flat.astype(np.float32), origin


def _darkness(flat: np.ndarray) -> np.ndarray:
    """How much darker each pixel is than the paper around it, as a share of the paper's brightness:
    uneven light and a yellow lamp cancel out."""
    k = int(4 * SCALE) | 1
    paper = cv2.dilate(flat, np.ones((k, k), np.uint8))   # the brightest nearby: paper, not ink
    paper = cv2.GaussianBlur(paper, (0, 0), k)
    dark: np.ndarray = np.clip((paper - flat) / np.maximum(paper, 1), 0, 1)
    return dark


def _register(flat: np.ndarray, code: LogCode, origin: float) -> tuple[float, float]:
    """The small offset between where the marks say the boxes are and where the printed boxes are,
    found by matching a drawing of the empty grid: it absorbs a page outline's rougher fit."""
    dark = _darkness(flat)
    s = SCALE
    pad = int(SEARCH * s)
    x0 = int(origin + (code.first[0] - code.pitch / 2) * s)
    y0 = int(origin + (code.first[1] - code.row_pitch / 2) * s)
    w = int(14 * code.pitch * s)
    h = int(code.rows * code.row_pitch * s)
    template = np.zeros((h, w), np.float32)
    for r in range(code.rows):
        for d in range(14):
            cx, cy = code.box_centre(r, d)
            a = (int((cx - code.first[0] + code.pitch / 2 - code.box / 2) * s),
                 int((cy - code.first[1] + code.row_pitch / 2 - code.box / 2) * s))
            cv2.rectangle(template, a, (a[0] + int(code.box * s), a[1] + int(code.box * s)), 1.0, max(1, int(0.8 * s)))
    area = dark[max(0, y0 - pad):y0 + h + pad, max(0, x0 - pad):x0 + w + pad]
    if area.shape[0] < h or area.shape[1] < w:
        return 0.0, 0.0
    score = cv2.matchTemplate(area, template, cv2.TM_CCORR)
    _, _, _, best = cv2.minMaxLoc(score)
    return (best[0] - min(pad, x0)) / s, (best[1] - min(pad, y0)) / s


def _read_boxes(flat: np.ndarray, code: LogCode, origin: float,
                shift: tuple[float, float]) -> tuple[list[list[bool | None]], float]:
    """Each box called, and the share of boxes whose printed edges could be seen."""
    dark = _darkness(flat)
    s = SCALE
    half = code.box / 2 - INSET
    seen = 0
    out: list[list[bool | None]] = []
    for r in range(code.rows):
        row: list[bool | None] = []
        for d in range(14):
            cx, cy = code.box_centre(r, d)
            cx, cy = origin + (cx + shift[0]) * s, origin + (cy + shift[1]) * s
            inside = dark[int(cy - half * s):int(cy + half * s), int(cx - half * s):int(cx + half * s)]
            if _edge(dark, cx, cy, code.box * s / 2) >= EDGE_SEEN:
                seen += 1
                row.append(_call(inside))
            else:  # glare, a shadow or a smudge hides this box's own printed edge: do not guess
                row.append(None)
        out.append(row)
    return out, seen / (14 * code.rows)


def _edge(dark: np.ndarray, cx: float, cy: float, e: float) -> float:
    """How dark a box's printed edge looks: on each side, the darkest line across a strip two
    points wide, taken along the side; the median of the four sides."""
    w = int(2 * SCALE)
    a, b = int(cy - e * 0.6), int(cy + e * 0.6)
    c, d = int(cx - e * 0.6), int(cx + e * 0.6)
    sides = [dark[a:b, int(cx - e) - w:int(cx - e) + w].max(axis=1), dark[a:b, int(cx + e) - w:int(cx + e) + w].max(axis=1),
             dark[int(cy - e) - w:int(cy - e) + w, c:d].max(axis=0), dark[int(cy + e) - w:int(cy + e) + w, c:d].max(axis=0)]
    return float(np.median([np.median(side) for side in sides if side.size] or [0.0]))


def _call(inside: np.ndarray) -> bool | None:
    share, span = _ink(inside, INK)
    if share >= TICKED_SHARE and span >= TICKED_SPAN:
        return True
    if share < EMPTY_SHARE and span < EMPTY_SPAN:
        # nothing dark: but a line across the box too faint to call (a fine pen in a soft photo)
        # makes it unsure rather than empty
        return None if _ink(inside, FAINT)[1] >= TICKED_SPAN else False
    return None


def _ink(inside: np.ndarray, level: float) -> tuple[float, float]:
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


def _box_outline(to_image: np.ndarray, code: LogCode, row: int, day: int, shift: tuple[float, float]) -> np.ndarray:
    cx, cy = code.box_centre(row, day)
    cx, cy = cx + shift[0], cy + shift[1]
    b = code.box / 2
    pts = np.array([[cx - b, cy - b], [cx + b, cy - b], [cx + b, cy + b], [cx - b, cy + b]], np.float64)
    return cv2.perspectiveTransform(pts.reshape(-1, 1, 2), to_image).reshape(4, 2)
