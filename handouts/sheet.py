"""The printed sheet's fixed geometry, shared by drawing and scanning, and its small code.

Paper sizes, the margin, the log's day count, the corner markers and the small code:
everything `handouts scan` must agree on with the page that was drawn lives here, in
points, with no reportlab in sight, so the scanner (an optional extra) loads nothing
of the renderer and the two can never drift apart.

The small code beside the log says which sheet this is and where every tick box sits.
A returned sheet must be readable by any copy of handouts, not only the computer that
made it, so the code carries the log's whole geometry: the sheet's number, the first
day, each row's weekly goal, and the boxes' positions measured from the corner markers.
The text is "HO" and then digits only, which QR packs three to ten bits; it fits a
version 2 code (25 modules) for up to eight exercises.

Positions in the code are in points, x to the right and y down, from the top-left corner
of the top-left marker (the "frame"); `make` writes them and `scan` reads them.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

# Units as reportlab defines them, to the last bit, so a page's size is the same float either way
INCH = 72.0
MM = INCH / 2.54 * 0.1
PAPER = {"letter": (8.5 * INCH, 11 * INCH), "a4": (210 * MM, 297 * MM)}

MARGIN = 0.5 * INCH  # twice the 0.25 in a printer cannot reach
LOG_DAYS = 14  # the two-week log: one column a day
WEEK = 7
# The log's title line and its header (month, weekday initials, day numbers)
GRID_TITLE_H = 16
GRID_HEAD_H = 32
# What `handouts scan` reads the returned log by: four corner markers in the side margins,
# level with the top of the log's header and the bottom of its last row, and a small code
# in the header's empty corner above the exercise names (the sheet's number and where every
# box is). Both sit in room the page never used, so nothing else moves.
MARK = 16  # corner marker side: 6 cells of 2.7 pt, 0.2 mm wider than a pencil line
MARK_GAP = 4  # paper between a marker and the text beside it (0.22 in from the paper's edge)
MARK_DROP = 2  # the top markers sit this far below the log's title, level with the small code
LOG_CODE = 28  # the small code's side: 25 modules of 1.1 pt
LOG_CODE_INSET = 9  # from the label column's left edge: 12 pt of paper from the marker, or a blurred photo joins them
THUMB = 72  # an exercise's picture, square, 1 in at most


def marker_columns(page_w: float) -> tuple[float, float]:
    """The left and right markers' left edges, in points from the paper's left edge: in the side
    margins, MARK_GAP from the text, whatever is printed. Their distance (the frame's width) therefore
    follows from the paper alone, which a scanner can use before it has read the code."""
    return MARGIN - MARK_GAP - MARK, page_w - MARGIN + MARK_GAP


class LogGeometry(NamedTuple):  # a NamedTuple: a dataclass costs half a millisecond of start-up
    """Where the log's boxes and reading marks are, in PDF points (origin bottom left).

    The drawing paints from this and the small code describes it, so what the scanner
    is told and what the patient ticks cannot drift apart.
    """

    markers: tuple[tuple[float, float], ...]  # bottom-left corners: top left, top right, bottom right, bottom left
    code: tuple[float, float]  # the small code's bottom-left corner; LOG_CODE square
    first: tuple[float, float]  # centre of the first row's first box
    pitch: float  # from one day's box centre to the next
    row_pitch: float  # from one row's box centre to the next
    box: float
    top: float  # the log's top edge, above its title
    page_h: float
    marker: float = MARK

    def box_at(self, row: int, day: int) -> tuple[float, float]:
        """The bottom-left corner of one tick box."""
        cx, cy = self.first
        return cx + day * self.pitch - self.box / 2, cy - row * self.row_pitch - self.box / 2


PREFIX = "HO"
FORMAT = 1  # changes whenever the fields below change
PAPERS = ("letter", "a4")
# ArUco's 4×4 dictionary (DICT_4X4_50), markers 0–3: the inner 4×4 cells row by row, 1 = black;
# each is drawn inside a black border one cell wide. Top left, top right, bottom right, bottom left.
MARKER_BITS = (
    ("0100", "1010", "1100", "1101"),
    ("1111", "0000", "0110", "0101"),
    ("1100", "1100", "1101", "0010"),
    ("0110", "0110", "1011", "1001"),
)


class LogCode(NamedTuple):
    sheet: str  # nine digits, printed as "482 193 775"
    start: dt.date
    paper: str
    frame_top: float  # the frame's top edge, down from the top of the page
    width: float  # left markers' left edge to right markers' left edge
    height: float  # top markers' top edge to bottom markers' top edge
    marker: float
    first: tuple[float, float]  # centre of the first row's first box, in the frame
    pitch: float
    row_pitch: float
    box: float
    per_week: tuple[int, ...]  # each row's weekly goal; 7 is every day

    @property
    def rows(self) -> int:
        return len(self.per_week)

    def box_centre(self, row: int, day: int) -> tuple[float, float]:
        return self.first[0] + day * self.pitch, self.first[1] + row * self.row_pitch

    def marker_corners(self) -> list[list[tuple[float, float]]]:
        """Each marker's corners in the frame, in the order a detector reports them."""
        m = self.marker
        out = []
        for x, y in ((0.0, 0.0), (self.width, 0.0), (self.width, self.height), (0.0, self.height)):
            out.append([(x, y), (x + m, y), (x + m, y + m), (x, y + m)])
        return out


# (name, digits, scale): every field is a whole number of points, or of tenths where it counts
_FIELDS = (
    ("frame_top", 3, 1),
    ("width", 3, 1),
    ("height", 3, 1),
    ("marker", 2, 1),
    ("first_x", 4, 10),
    ("first_y", 4, 10),
    ("pitch", 3, 10),
    ("row_pitch", 3, 10),
    ("box", 3, 10),
)


def to_text(code: LogCode) -> str:
    values = {
        "frame_top": code.frame_top,
        "width": code.width,
        "height": code.height,
        "marker": code.marker,
        "first_x": code.first[0],
        "first_y": code.first[1],
        "pitch": code.pitch,
        "row_pitch": code.row_pitch,
        "box": code.box,
    }
    digits = [str(FORMAT), code.sheet, code.start.strftime("%y%m%d"), str(PAPERS.index(code.paper))]
    digits += [f"{round(values[name] * scale):0{width}d}" for name, width, scale in _FIELDS]
    digits += [str(code.rows), *map(str, code.per_week)]
    return PREFIX + "".join(digits)


def parse(text: str) -> LogCode | None:
    """The code's fields, or None for any other QR code (the booking code, a poster's)."""
    if not text.startswith(PREFIX) or not text[len(PREFIX) :].isdigit():
        return None
    digits = text[len(PREFIX) :]
    if digits[0] != str(FORMAT):
        return None
    try:
        sheet, rest = digits[1:10], digits[10:]
        start = dt.datetime.strptime(rest[:6], "%y%m%d").date()
        paper = PAPERS[int(rest[6])]
        pos = 7
        values: dict[str, float] = {}
        for name, width, scale in _FIELDS:
            values[name] = int(rest[pos : pos + width]) / scale
            pos += width
        rows = int(rest[pos])
        per_week = tuple(int(c) for c in rest[pos + 1 :])
    except (ValueError, IndexError):
        return None
    if len(sheet) != 9 or rows == 0 or len(per_week) != rows:
        return None
    return LogCode(
        sheet,
        start,
        paper,
        values["frame_top"],
        values["width"],
        values["height"],
        values["marker"],
        (values["first_x"], values["first_y"]),
        values["pitch"],
        values["row_pitch"],
        values["box"],
        per_week,
    )
