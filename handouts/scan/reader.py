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
from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

from handouts.errors import DataError
from handouts.scan import boxes as scanboxes
from handouts.scan import find as scanfind
from handouts.sheet import LOG_DAYS, MARK, PAPER, LogCode
from handouts.tally import Tally, tally

if TYPE_CHECKING:
    from handouts.history import History, Record

MAX_PIXELS = 50_000_000  # a 48 MP phone photo is read; a picture claiming more is refused before decoding
MAX_SIDE = 2400  # larger photos are looked at this size to find the sheet
LEAST_PT = 1.1  # photo pixels per point below which a pen line is too thin to see
CODE_PT = 2.0  # ...and below which the small code's modules cannot be told apart
OUTLINE_MISFIT = 3.0  # points a page-outline fit may miss the markers it can see by
SEEN_ENOUGH = 0.5  # fewer boxes seen than this share: the photo is refused, not read in part


class Unreadable(DataError):
    """A photo that cannot be read, with what to do about it."""


NO_SHEET = (
    "the log's corner markers are not in the photo: photograph the whole sheet, flat, "
    "with the four black squares beside the log in the picture"
)
NO_CODE = (
    "the small code at the top left of the log cannot be read: photograph the whole log, "
    "flat and in focus, without a shadow or glare over it"
)
TOO_FEW = (
    "only {n} of the log's four corner markers are in the photo and the page's edges are not: "
    "photograph the whole sheet, flat, with the four black squares beside the log in the picture"
)
BLURRED = (
    "the log's boxes cannot be seen clearly (the photo is blurred, or a lamp or window shines on it): "
    "hold the phone still, let it focus, avoid reflections, and take it again"
)
FOLDED = (
    "the sheet does not lie flat in the photo: a fold or a curl moves its boxes off their grid. "
    "Smooth it out on a table, hold the corners down, and take it again"
)
MARKERS_SMALL = (
    "the sheet is in the photo, but its four black corner markers are too small to find: move closer, so the log fills most of the picture"
)
MARKERS_HIDDEN = (
    "the log's {corners} corner {marker} in the photo but cannot be seen (a shadow, glare or a finger over {it}): "
    "take it again in even light with all four black squares clear"
)
MARKERS_OUT = (
    "the log's {corners} corner {marker} outside the photo: step back so the whole log and its four black squares are in the picture"
)
CORNERS = ("top-left", "top-right", "bottom-right", "bottom-left")
NOT_A_PHOTO = "not a photo this can read; use a JPEG or PNG picture of the sheet"
TOO_SMALL = "the log is too small in the photo to read the boxes: move closer, so the log fills most of the picture"
SHRUNK = (
    "the photo is only {w:,} x {h:,} pixels, too few to read the log (a chat app shrinks the photos it sends): "
    "send the original photo (as a file or by email), or a close-up of the log"
)
SHEET_W = PAPER["letter"][0]  # points across a sheet, near enough for A4 too
MARKER_PX = 12  # a marker fewer pixels across than this is not found
FEW_PIXELS = 4_000_000  # a phone camera takes 8 to 48 megapixels; fewer means the photo was shrunk on its way


@dataclass
class Reading:
    """What one photo says: the sheet's code and each box as ticked (True), empty (False) or unsure (None)."""

    photo: str
    sha256: str
    code: LogCode
    boxes: list[list[bool | None]]
    found_by: str  # "markers" or "page outline"
    outlines: list[list[np.ndarray]]  # each box's corners in the photo, for drawing the reading on it
    image: np.ndarray | None = None


def read_photo(path: Path, label: str | None = None) -> Reading:
    """Read a photo file; `label` names it in messages (the web page's upload name)."""
    name = label or str(path)
    if path.is_dir():
        raise Unreadable(f"{name}: this is a folder, not a photo: name the photos in it (for example {path.name}/*.jpg)")
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
    record: Record | None  # the handout this sheet was, when this history has it
    recorded: bool | None  # True new, False the same photo was read before, None not recorded
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

        t = tally(reading.code, reading.boxes, [])  # the counts need no names
        try:
            record, recorded = history.record_scan(
                reading.code.sheet, reading.sha256, t.done, t.planned, [r.ticked for r in t.rows], [r.unsure for r in t.rows]
            )
            if record is None:
                recorded = None  # a sheet this history never saw: read, not recorded
        except HistoryError as e:
            problem = f"{e}\nthe reading of {label or path} was not recorded in the history"
    return Outcome(
        reading, tally(reading.code, reading.boxes, [d.title for d in record.doses] if record else []), record, recorded, problem
    )


def drawn(reading: Reading, summary: str, width: int | None = None) -> bytes:
    """The photo with the reading on it, as JPEG: green for ticked, orange and a question mark for
    unsure; `width` shrinks it (the web page's copy)."""
    assert reading.image is not None
    out = reading.image.copy()
    if width is not None and out.shape[1] > width:
        f = width / out.shape[1]
        out = cv2.resize(out, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        reading = Reading(
            reading.photo,
            reading.sha256,
            reading.code,
            reading.boxes,
            reading.found_by,
            [[quad * f for quad in row] for row in reading.outlines],
        )
    line = max(2, round(min(out.shape[:2]) / 700))
    colours = {True: (40, 160, 30), False: (150, 150, 150), None: (0, 140, 255)}
    for row, states in zip(reading.outlines, reading.boxes, strict=True):
        for quad, state in zip(row, states, strict=True):
            pts = np.round(quad).astype(np.int32)
            cv2.polylines(out, [pts], True, colours[state], line * (1 if state is False else 2), cv2.LINE_AA)
            if state is None:
                x, y = pts.mean(axis=0)
                cv2.putText(
                    out, "?", (int(x) - 4 * line, int(y) + 4 * line), cv2.FONT_HERSHEY_SIMPLEX, line * 0.6, colours[None], line, cv2.LINE_AA
                )
    scale = out.shape[1] / 1400
    cv2.rectangle(out, (0, 0), (out.shape[1], int(60 * scale)), (255, 255, 255), -1)
    cv2.putText(
        out,
        summary,
        (int(15 * scale), int(42 * scale)),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.1 * scale,
        (20, 20, 20),
        max(1, round(2 * scale)),
        cv2.LINE_AA,
    )
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return bytes(jpeg.tobytes())


def check_pixels(data: bytes, name: str) -> None:
    """Refuse a picture too large to be a phone photo by its header alone, before decoding it:
    a 915 KB PNG can claim 30,000 x 30,000 pixels and take gigabytes once decoded."""
    if not data:
        raise Unreadable(f"{name}: the file is empty; {NOT_A_PHOTO}")
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
    except Image.DecompressionBombError:
        width = height = 2**16  # Pillow's own refusal: far past our limit
    except Exception:  # not a kind Pillow knows (or HEIC without the extra): the decoder says what is wrong
        return
    if width * height > MAX_PIXELS:
        raise Unreadable(
            f"{name}: the picture claims {width:,} x {height:,} pixels ({width * height / 1e6:,.0f} megapixels); "
            f"a phone photo has under {MAX_PIXELS // 1_000_000}. Send the photo as the phone took it"
        )


def decode(data: bytes, path: Path, name: str) -> np.ndarray:
    check_pixels(data, name)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)  # turned upright by its EXIF tag
    if image is None and path.suffix.lower() in (".heic", ".heif"):
        try:
            from pillow_heif import register_heif_opener
        except ImportError:
            raise Unreadable(
                f"{name}: an iPhone (HEIC) photo needs the heic extra: pip install '.[heic]', or send the photo as JPEG"
            ) from None
        import io

        from PIL import Image, ImageOps

        register_heif_opener()
        try:
            with Image.open(io.BytesIO(data)) as im:
                image = np.array(ImageOps.exif_transpose(im).convert("RGB"))[:, :, ::-1].copy()
        except (OSError, ValueError):  # named .heic but not one: this photo refused, the others still read
            image = None
    if image is None:
        raise Unreadable(f"{name}: {NOT_A_PHOTO}")
    return image


def read_image(image: np.ndarray, photo: str = "photo") -> Reading:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    # a photo a little larger than MAX_SIDE is looked at as it is: shrinking it by a few per cent
    # softens the markers more than it saves
    shrink = MAX_SIDE / max(gray.shape) if max(gray.shape) > 1.25 * MAX_SIDE else 1.0
    small = cv2.resize(gray, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) if shrink < 1 else gray
    markers = scanfind.markers(small, gray, shrink)
    code, code_centre = scanfind.find_code(gray, small, shrink, markers)
    if code is None:
        raise Unreadable(f"{photo}: {_small(_why_no_code(small, markers), gray)}")
    found_by = "markers"
    src, dst = _marker_corners(code, markers)
    if len(markers) < 3:
        page = scanfind.page_outline(small, shrink)
        if page is None:
            raise Unreadable(f"{photo}: {_why_too_few(gray, code, markers) if markers else NO_SHEET}")
        found_by = "page outline"
        seen = list(dst)  # the markers' corners, as photographed
        src += scanfind.page_corners(code)
        dst += scanfind.orient(page, code, code_centre, src, dst)
    to_image, _ = cv2.findHomography(np.array(src, np.float64), np.array(dst, np.float64), 0)
    if found_by == "page outline" and markers and scanfind.misfit(to_image, src[: len(seen)], seen) > OUTLINE_MISFIT:
        # the outline disagrees with the markers it should agree with: a corner cut off, a second sheet
        raise Unreadable(f"{photo}: {_why_too_few(gray, code, markers)}")
    if scanfind.pixels_per_point(to_image, code) < LEAST_PT:
        raise Unreadable(f"{photo}: {_small(TOO_SMALL, gray)}")
    straight, origin = scanboxes.straighten(gray, to_image, code)
    dark = scanboxes.darkness(straight)
    shift = scanboxes.register(dark, code, origin)
    boxes, visible, placed = scanboxes.read_boxes(dark, code, origin, shift)
    if visible < SEEN_ENOUGH:
        out_of_line = int((placed.outlined & ~placed.found).sum())
        lost = int((~placed.outlined).sum())
        raise Unreadable(f"{photo}: {FOLDED if out_of_line > lost else BLURRED}")
    outlines = [[scanboxes.box_outline(to_image, code, r, d, placed) for d in range(LOG_DAYS)] for r in range(code.rows)]
    return Reading(photo, "", code, boxes, found_by, outlines)


def _marker_corners(
    code: LogCode, markers: dict[int, list[tuple[float, float]]]
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The corners of the markers seen, in the frame (points) and in the photo (pixels), pair by pair."""
    corners = code.marker_corners()
    return [pt for i in sorted(markers) for pt in corners[i]], [pt for i in sorted(markers) for pt in markers[i]]


def _small(why: str, gray: np.ndarray) -> str:
    """ "Too small" in a photo with few pixels: the photo was shrunk on its way (a chat app), not taken from afar."""
    return SHRUNK.format(w=gray.shape[1], h=gray.shape[0]) if why == TOO_SMALL and gray.size < FEW_PIXELS else why


def _why_too_few(gray: np.ndarray, code: LogCode, markers: dict[int, list[tuple[float, float]]]) -> str:
    """Which corner markers are missing and why: outside the photo, or in it but hidden. Where they
    should be comes from those seen (each gives four corners) and the code's map of the frame."""
    corners = code.marker_corners()
    src, dst = _marker_corners(code, markers)
    to_image, _ = cv2.findHomography(np.array(src, np.float64), np.array(dst, np.float64), 0)
    if to_image is None:
        return TOO_FEW.format(n=len(markers))
    h, w = gray.shape[:2]
    hidden: list[str] = []
    out: list[str] = []
    for i in range(4):
        if i in markers:
            continue
        seen = cv2.perspectiveTransform(np.array(corners[i], np.float64).reshape(-1, 1, 2), to_image).reshape(-1, 2)
        inside = bool(((seen >= 0) & (seen < [w, h])).all())
        (hidden if inside else out).append(CORNERS[i])
    for template, names in ((MARKERS_OUT, out), (MARKERS_HIDDEN, hidden)):
        if names:
            marker, it = ("markers are", "them") if len(names) > 1 else ("marker is", "it")
            return template.format(corners=" and ".join(names), marker=marker, it=it)
    return TOO_FEW.format(n=len(markers))


def _why_no_code(small: np.ndarray, markers: dict[int, list[tuple[float, float]]]) -> str:
    """The likeliest reason, among those a person can act on, that the log's code was not read."""
    if markers:
        sides = [np.hypot(*np.subtract(m[0], m[1])) for m in markers.values()]
        if float(np.median(sides)) / MARK < CODE_PT:
            return TOO_SMALL
    # a sheet out of focus: markers, or paper with something on it (not a blank wall)
    if scanfind.blurred(small) and (markers or (scanfind.paper(small) is not None and float(small.std()) > 12)):
        return BLURRED
    if 0 < len(markers) < 3:
        return TOO_FEW.format(n=len(markers))
    if not markers and _sheet_too_small(small):
        return MARKERS_SMALL
    return NO_CODE if markers else NO_SHEET


def _sheet_too_small(small: np.ndarray) -> bool:
    """A sheet lies in the photo (paper against a table), but so small that its corner markers,
    16 points across, would be under a dozen pixels: the markers are there, only too small to find."""
    outline = scanfind.paper(small)
    if outline is None or cv2.contourArea(outline) > 0.9 * small.size:
        return False  # nothing around it to set it apart: not a sheet on a table
    _, (a, b), _ = cv2.minAreaRect(outline)
    return min(a, b) / SHEET_W * MARK < MARKER_PX
