"""Phone photos of returned sheets, made at test time: real handouts, ticked by a simulated hand.

A real handout PDF is rendered, pen marks are drawn into chosen boxes (checks, crosses,
scribbles and slashes, thin and thick, black and blue, some running over the border)
and a few stray marks elsewhere; then the page is photographed the way a phone would:
lying on a table at an angle, turned, lit unevenly, a little out of focus, noisy, and
saved as JPEG. Where the boxes are comes from the rectangles drawn in the PDF itself
(read with pdfplumber), not from the code the scanner reads, so a mistake in either
shows up as a wrong answer.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import pdfplumber
import pypdfium2

DPI = 300
PT = DPI / 72
INK = {"black": (25, 25, 30), "blue": (165, 60, 35)}  # BGR: a ballpoint's blue
KINDS = ("check", "cross", "scribble", "slash")  # what patients tick with
CANCEL = "crossed out"  # a tick the patient took back: scribbled over, hatched through


@dataclass
class Sheet:
    """A rendered page and where its tick boxes are, in page pixels (row by row, 14 a row)."""

    image: np.ndarray  # BGR, DPI dots per inch
    boxes: list[list[tuple[float, float, float]]]  # (centre x, centre y, side) per row and day


def sheet(pdf: bytes) -> Sheet:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = np.array(page.render(scale=PT).to_pil().convert("RGB"))[:, :, ::-1].copy()
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        p = doc.pages[0]
        squares = [r for r in p.rects if abs(r["width"] - r["height"]) < 0.1 and 12 <= r["width"] <= 30 and r["stroke"] and not r["fill"]]
    rows: dict[int, list[tuple[float, float, float]]] = {}
    for r in squares:
        cx, cy = (r["x0"] + r["x1"]) / 2, (r["top"] + r["bottom"]) / 2
        rows.setdefault(round(cy), []).append((cx * PT, cy * PT, r["width"] * PT))
    boxes = [sorted(row) for _, row in sorted(rows.items())]
    assert boxes and all(len(row) == 14 for row in boxes), [len(r) for r in boxes]
    return Sheet(image, boxes)


@dataclass
class Ticks:
    """What the simulated patient did: the boxes ticked, and how."""

    ticked: set[tuple[int, int]] = field(default_factory=set)
    pen: int = 2  # stroke width in page pixels at 300 dpi (1 px = 0.08 mm)
    colour: str = "black"
    cancelled: set[tuple[int, int]] = field(default_factory=set)  # ticked, then crossed out: never "done"


def tick_sheet(
    s: Sheet, rng: np.random.Generator, share: float = 0.45, pen: int | None = None, colour: str | None = None, strays: int = 4
) -> tuple[np.ndarray, Ticks]:
    image = s.image.copy()
    ticks = Ticks(pen=pen if pen is not None else int(rng.integers(1, 6)), colour=colour or str(rng.choice(list(INK))))
    ink = INK[ticks.colour]
    for r, row in enumerate(s.boxes):
        for d, (cx, cy, side) in enumerate(row):
            if rng.random() < share:
                ticks.ticked.add((r, d))
                _mark(image, cx, cy, side, str(rng.choice(KINDS)), ticks.pen, ink, rng)
    h, w = image.shape[:2]
    first = s.boxes[0][0]
    for _ in range(strays):  # a doodle in the margin, a line under a name, a note between rows
        where = rng.choice(["label", "gap", "margin"])
        if where == "label":
            x, y = first[0] - rng.uniform(200, 500), rng.uniform(s.boxes[0][0][1], s.boxes[-1][0][1])
        elif where == "gap":
            r = int(rng.integers(0, len(s.boxes)))
            x = rng.uniform(first[0], s.boxes[0][-1][0])
            y = s.boxes[r][0][1] + s.boxes[r][0][2] * 0.5 + rng.uniform(8, 14)
        else:
            x, y = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.5) * h
        pts = np.array([[x, y], [x + rng.uniform(-60, 60), y + rng.uniform(-6, 6)]], np.float64)
        cv2.polylines(image, [np.round(pts * 16).astype(np.int32)], False, ink, ticks.pen, cv2.LINE_AA, 4)
    return image, ticks


def _mark(
    image: np.ndarray, cx: float, cy: float, side: float, kind: str, pen: int, ink: tuple[int, int, int], rng: np.random.Generator
) -> None:
    over = rng.random() < 0.2  # one in five runs over the border
    s = side * (rng.uniform(1.0, 1.35) if over else rng.uniform(0.55, 0.9)) / 2
    ox, oy = rng.uniform(-0.12, 0.12) * side, rng.uniform(-0.12, 0.12) * side
    x, y = cx + ox, cy + oy
    if kind == CANCEL:  # a check, then scribbled over it back and forth, hard
        _mark(image, cx, cy, side, "check", pen, ink, rng)
        s = side * rng.uniform(0.7, 0.95) / 2
        strokes = [[(x + (s if i % 2 else -s), y - s + i * s / 5) for i in range(11)]]
        pen = max(pen, 2)
    elif kind == "check":
        strokes = [[(x - s, y), (x - s * 0.3, y + s * 0.8), (x + s, y - s)]]
    elif kind == "cross":
        strokes = [[(x - s, y - s), (x + s, y + s)], [(x - s, y + s), (x + s, y - s)]]
    elif kind == "slash":
        strokes = [[(x - s * 0.7, y + s), (x + s * 0.7, y - s)]]
    elif kind == "scribble":
        strokes = [[(x + rng.uniform(-s, s), y + rng.uniform(-s, s)) for _ in range(6)]]
    else:  # filled in: a zig-zag back and forth
        strokes = [[(x + (s if i % 2 else -s), y - s + i * s / 4) for i in range(9)]]
    for stroke in strokes:
        jittered = [(px + rng.normal(0, 0.6), py + rng.normal(0, 0.6)) for px, py in stroke]
        pts = np.round(np.array(jittered) * 16).astype(np.int32)
        cv2.polylines(image, [pts], False, ink, pen, cv2.LINE_AA, 4)


@dataclass
class Shot:
    """How one photo was taken, for the failure message of a test that reads it wrong."""

    seed: int
    closeup: bool = False
    turn: float = 0.0
    tilt: float = 0.0
    blur: float = 0.0
    quality: int = 90
    glare: bool = False


def photograph(
    page: np.ndarray,
    seed: int,
    *,
    closeup_box: tuple[float, float, float, float] | None = None,
    size: tuple[int, int] = (2448, 3264),
    blur: float | None = None,
    glare: tuple[float, float] | None = None,
    upside_down: bool = False,
    blur_range: tuple[float, float] = (0.5, 1.4),
    quality_range: tuple[int, int] = (60, 91),
) -> tuple[bytes, Shot]:
    """The page (or the part of it inside `closeup_box`, x0 y0 x1 y1 in page pixels) as a phone JPEG."""
    rng = np.random.default_rng(seed)
    w_out, h_out = size
    if closeup_box is not None:
        x0, y0, x1, y1 = closeup_box
        w_out, h_out = h_out, w_out  # a close-up of the log is taken with the phone held sideways
    else:
        x0, y0, x1, y1 = 0, 0, page.shape[1], page.shape[0]
    src = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    sw, sh = x1 - x0, y1 - y0
    fill = rng.uniform(0.8, 0.92) if closeup_box is not None else rng.uniform(0.72, 0.9)
    scale = min(w_out / sw, h_out / sh) * fill
    turn = rng.uniform(-10, 10) + (180 if upside_down else 0)
    tilt = rng.uniform(-15, 15)
    # a phone tipped forward sees the far edge shorter: foreshortening of up to 15 degrees
    shrink = 1 - math.sin(math.radians(abs(tilt))) * 0.5
    corners = np.array([[-sw / 2, -sh / 2], [sw / 2, -sh / 2], [sw / 2, sh / 2], [-sw / 2, sh / 2]]) * scale
    far = (0, 1) if tilt > 0 else (3, 2)
    for i in far:
        corners[i, 0] *= shrink
    corners += rng.normal(0, 0.01 * min(w_out, h_out), corners.shape)
    a = math.radians(turn)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    dst = (corners @ rot.T + [w_out / 2 + rng.uniform(-0.04, 0.04) * w_out, h_out / 2 + rng.uniform(-0.04, 0.04) * h_out]).astype(
        np.float32
    )
    matrix = cv2.getPerspectiveTransform(src, dst)
    cv2.setRNGSeed(seed)
    # a table: a colour with soft blotches (made small and enlarged: whole-size arrays are slow)
    small = (w_out // 32, h_out // 32)
    table = np.clip(rng.uniform(40, 120, 3) + rng.normal(0, 12, (small[1], small[0], 3)), 0, 255).astype(np.uint8)
    photo = cv2.resize(table, (w_out, h_out), interpolation=cv2.INTER_LINEAR)
    warped = cv2.warpPerspective(page, matrix, (w_out, h_out), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full(page.shape[:2], 255, np.uint8), matrix, (w_out, h_out))
    cv2.copyTo(warped, mask, photo)
    photo = photo.astype(np.float32)
    # light from one side, a slightly warm lamp, sometimes a glare patch
    yy, xx = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
    g = rng.uniform(-1, 1, 2)
    light = 0.8 + 0.4 * (g[0] * (xx / small[0] - 0.5) + g[1] * (yy / small[1] - 0.5))
    tint = (rng.uniform(0.85, 1.0), rng.uniform(0.92, 1.0), 1.0)
    extra = np.zeros_like(light)
    if glare is not None:  # a lamp's reflection centred on this point of the page (page pixels)
        seen = cv2.perspectiveTransform(np.array([[glare]], np.float32), matrix)[0, 0]
        cx, cy = seen / 32
        r = 0.08 * min(small)
        extra = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)) * 255 * 1.6
    light = cv2.resize(light, (w_out, h_out))
    extra = cv2.resize(extra.astype(np.float32), (w_out, h_out))
    for c in range(3):
        photo[:, :, c] = photo[:, :, c] * (light * tint[c]) + extra
    sigma = blur if blur is not None else rng.uniform(*blur_range)
    photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    noise = np.empty_like(photo)
    cv2.randn(noise, 0, rng.uniform(2, 6))
    photo += noise
    np.clip(photo, 0, 255, out=photo)
    quality = int(rng.integers(*quality_range))
    ok, jpeg = cv2.imencode(".jpg", photo.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return jpeg.tobytes(), Shot(seed, closeup_box is not None, turn, tilt, sigma, quality, glare is not None)


def cover_right_markers(page: np.ndarray, s: Sheet) -> np.ndarray:
    """A sticky note along the sheet's right edge, over both right-hand corner markers."""
    out = page.copy()
    w = out.shape[1]
    top = int(s.boxes[0][0][1] - 70 * PT)
    bottom = int(s.boxes[-1][0][1] + 40 * PT)
    cv2.rectangle(out, (int(w - 35 * PT), top), (int(w - 6 * PT), bottom), (170, 235, 250), -1)
    return out


def cross_out(image: np.ndarray, s: Sheet, ticks: Ticks, rng: np.random.Generator, count: int = 3) -> np.ndarray:
    """Some ticked boxes scribbled over afterwards: the patient took those days back."""
    out = image.copy()
    ink = INK[ticks.colour]
    for r, d in sorted(ticks.ticked)[:: max(1, len(ticks.ticked) // count)][:count]:
        cx, cy, side = s.boxes[r][d]
        _mark(out, cx, cy, side, CANCEL, ticks.pen, ink, rng)
        ticks.ticked.discard((r, d))
        ticks.cancelled.add((r, d))
    return out


def crease_through_row(image: np.ndarray, s: Sheet, rng: np.random.Generator, darker: float = 0.2) -> np.ndarray:
    """A fold line, darker than the paper by `darker`, running the width of the page through one row's boxes."""
    out = image.astype(np.float32)
    row = s.boxes[int(rng.integers(0, len(s.boxes)))]
    y0 = row[0][1] + rng.uniform(-0.25, 0.25) * row[0][2]
    slope = rng.uniform(-0.004, 0.004)
    line = np.zeros(image.shape[:2], np.float32)
    w = image.shape[1]
    cv2.line(line, (0, round(y0 - slope * w / 2)), (w, round(y0 + slope * w / 2)), 1.0, int(rng.integers(2, 4)), cv2.LINE_AA)
    out *= (1 - darker * line)[:, :, None]
    return np.clip(out, 0, 255).astype(np.uint8)


def fold(image: np.ndarray, s: Sheet, rng: np.random.Generator, shift_mm: float = 0.26, across: str = "row") -> np.ndarray:
    """The sheet folded to carry it and opened again: a crease through the log (between two rows, or
    between two days); the far side no longer lies in the same plane, so it is shifted by `shift_mm`
    and turned by a few tenths of a degree about the crease's end, and a little darker, as the light
    meets it at another angle."""
    h, w = image.shape[:2]
    px = shift_mm / 25.4 * DPI
    first = s.boxes[0][0]
    if across == "row":
        if len(s.boxes) > 1:
            r = int(rng.integers(1, len(s.boxes)))
            at = (s.boxes[r - 1][0][1] + s.boxes[r][0][1]) / 2
        else:  # one row: the fold runs just under it
            at = first[1] + first[2]
        coord = np.arange(h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
        pivot = (first[0] - first[2], at)
    else:
        d = int(rng.integers(4, 11))
        at = (s.boxes[0][d - 1][0] + s.boxes[0][d][0]) / 2
        coord = np.ones((h, 1), np.float32) * np.arange(w, dtype=np.float32)[None, :]
        pivot = (at, first[1] - first[2])
    far = coord > at
    angle = rng.uniform(0, 2 * math.pi)
    dx, dy = px * math.cos(angle), px * math.sin(angle)
    turn = math.radians(rng.uniform(0.4, 0.8) * rng.choice([-1, 1]))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # where each far-side pixel came from: turned back about the pivot, then shifted back
    rx, ry = xx - pivot[0] - dx, yy - pivot[1] - dy
    src_x = pivot[0] + rx * math.cos(turn) + ry * math.sin(turn)
    src_y = pivot[1] - rx * math.sin(turn) + ry * math.cos(turn)
    xs = np.where(far, src_x, xx).astype(np.float32)
    ys = np.where(far, src_y, yy).astype(np.float32)
    out = cv2.remap(image, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shade = np.where(far, rng.uniform(0.85, 0.95), 1.0).astype(np.float32)
    crease = np.exp(-((coord - at) ** 2) / (2 * 1.5**2)).astype(np.float32)  # the crease itself: a soft dark line
    shade *= 1 - rng.uniform(0.15, 0.3) * crease
    return np.clip(out.astype(np.float32) * shade[:, :, None], 0, 255).astype(np.uint8)


def curl(image: np.ndarray, rng: np.random.Generator, depth_mm: float = 4.0) -> np.ndarray:
    """A sheet that will not lie flat: its sides lift like a page of a book, so the lines across it bow and
    its far edges come nearer the middle, by up to `depth_mm`."""
    h, w = image.shape[:2]
    depth = depth_mm / 25.4 * DPI * rng.uniform(0.6, 1.0)
    u = np.arange(w, dtype=np.float32)[None, :] / w - 0.5  # -0.5 .. 0.5 across
    v = np.arange(h, dtype=np.float32)[:, None] / h - 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + depth * 0.6 * np.sign(u) * (2 * u) ** 2 * np.ones((h, 1), np.float32)
    ys = np.arange(h, dtype=np.float32)[:, None] + depth * ((2 * u) ** 2 - 0.3) * (0.4 + np.abs(v))
    out = cv2.remap(image, xs.astype(np.float32), ys.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    light = (1.0 - 0.12 * (2 * u) ** 2 * np.ones((h, 1), np.float32)).astype(np.float32)
    return np.clip(out.astype(np.float32) * light[:, :, None], 0, 255).astype(np.uint8)


def damaged(page: np.ndarray, s: Sheet, ticks: Ticks, rng: np.random.Generator, damage: str) -> np.ndarray:
    """The ticked page as a patient brings it back: "folded between two rows" (or days), "curled",
    "creased through a row", "crossed out"; anything else as it was."""
    if damage.startswith("folded"):
        return fold(page, s, rng, across="row" if damage.endswith("rows") else "day")
    if damage == "curled":
        return curl(page, rng)
    if damage == "creased through a row":
        return crease_through_row(page, s, rng)
    if damage == "crossed out":
        return cross_out(page, s, ticks, rng)
    return page
