"""The printed sheet's fixed geometry, shared by drawing and scanning, and its small code.

Paper sizes, the margin, the log's day count, the corner markers and the small code:
everything `handouts scan` must agree on with the page that was drawn lives here, in
points, with no reportlab in sight, so the scanner (an optional extra) loads nothing
of the renderer and the two can never drift apart.

The small code beside the log says which sheet this is and where every tick box sits.
A returned sheet must be readable by any copy of handouts, not only the computer that
made it, so the code carries the log's whole geometry: the sheet's number, the first
day, each row's weekly goal, and the boxes' positions measured from the corner markers.

Format 2 (printed now) packs all of that into one 34-digit number, the most a version 1
code (21 modules) holds at level M: in the same 28 points its modules are a fifth larger
than format 1's version 2 (25 modules), which is what lets a chat app's shrunken copy of
a whole page still be read. What follows from the paper or from the type is left out:
the frame's width, the marker's size, the log's height and its first row's centre.
Format 1 ("HO1" and the fields as digits) is still read: sheets given out before.

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
LARGE_HEAD_H = 50  # large print's header: its weekday letters and day numbers are larger
# What `handouts scan` reads the returned log by: four corner markers in the side margins,
# level with the top of the log's header and the bottom of its last row, and a small code
# in the header's empty corner above the exercise names (the sheet's number and where every
# box is). Both sit in room the page never used, so nothing else moves.
MARK = 16  # corner marker side: 6 cells of 2.7 pt, 0.2 mm wider than a pencil line
MARK_GAP = 4  # paper between a marker and the text beside it (0.22 in from the paper's edge)
MARK_DROP = 2  # the top markers sit this far below the log's title, level with the small code
LOG_CODE = 28  # the small code's side: 21 modules of 1.33 pt (format 1: 25 of 1.1 pt)
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


PREFIX = "HO"  # format 1's text: "HO1" and the fields below as digits
FORMAT = 2  # the code printed now; it changes whenever its fields change
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


# Format 2: one number in mixed radix, written as "2" and 33 digits. (name, how many values,
# scale): whole points, or tenths where an error would add up across the log
EPOCH = dt.date(2025, 1, 1)  # the first day is counted from here: 16384 days run to 2069
HEAD_HEIGHTS = (GRID_HEAD_H, LARGE_HEAD_H)
MAX_ROWS = 6  # one page holds at most six exercises
_PACKED = (
    ("sheet", 10**9, 1),
    ("day", 2**14, 1),
    ("paper", len(PAPERS), 1),
    ("head", len(HEAD_HEIGHTS), 1),
    ("box", 32, 1),
    ("frame_top", 850, 1),
    ("first_x", 2500, 10),
    ("pitch", 400, 10),
    ("row_pitch", 500, 10),
)
_GOALS = 7  # a weekly goal is 1 to 7 days
PACKED_DIGITS = 33


def to_text(code: LogCode) -> str:
    """Format 2 when the log fits it (every page handouts draws), else format 1's longer text."""
    return _packed(code) or _fields_text(code)


def _packed(code: LogCode) -> str | None:
    head = code.first[1] + MARK_DROP - code.row_pitch / 2
    heads = [i for i, h in enumerate(HEAD_HEIGHTS) if abs(h - head) < 0.01]
    values = {
        "sheet": int(code.sheet) if code.sheet.isdigit() and len(code.sheet) == 9 else -1,
        "day": (code.start - EPOCH).days,
        "paper": PAPERS.index(code.paper),
        "head": heads[0] if heads else -1,
        "box": code.box,
        "frame_top": code.frame_top,
        "first_x": code.first[0],
        "pitch": code.pitch,
        "row_pitch": code.row_pitch,
    }
    left, right = marker_columns(PAPER[code.paper][0])
    fits = code.marker == MARK and abs(code.width - (right - left)) < 0.01 and code.box == round(code.box)
    if not fits or not 1 <= code.rows <= MAX_ROWS or not all(1 <= g <= _GOALS for g in code.per_week):
        return None
    number = 0
    for name, count, scale in _PACKED:
        value = round(values[name] * scale)
        if not 0 <= value < count:
            return None
        number = number * count + value
    number = number * _goal_choices() + _goal_index(code.per_week)
    return f"{FORMAT}{number:0{PACKED_DIGITS}d}"


def _goal_choices() -> int:
    """How many rows-and-goals there are: one row of 7, two rows of 49, and so on."""
    return int(sum(_GOALS**n for n in range(1, MAX_ROWS + 1)))


def _goal_index(per_week: tuple[int, ...]) -> int:
    """Logs of fewer rows first; then the goals as the digits of a base-7 number."""
    index = int(sum(_GOALS**n for n in range(1, len(per_week))))
    digits = 0
    for goal in per_week:
        digits = digits * _GOALS + goal - 1
    return index + digits


def _goals(index: int) -> tuple[int, ...]:
    """The rows' goals back from _goal_index: the length first, then the base-7 digits."""
    rows = 1
    while index >= _GOALS**rows:
        index -= _GOALS**rows
        rows += 1
    goals = []
    for _ in range(rows):
        index, goal = divmod(index, _GOALS)
        goals.append(goal + 1)
    return tuple(reversed(goals))


def _unpacked(digits: str) -> LogCode | None:
    number, goal_index = divmod(int(digits), _goal_choices())
    values: dict[str, float] = {}
    for name, count, scale in reversed(_PACKED):
        number, value = divmod(number, count)
        values[name] = value / scale
    per_week = _goals(goal_index)  # under _goal_choices(): six rows at most
    if number:  # a number past the last field's range: not a log code
        return None
    if not 0 < values["box"] < min(values["pitch"], values["row_pitch"]):
        return None  # boxes that overlap, or have no size: not a log code
    paper = PAPERS[int(values["paper"])]
    left, right = marker_columns(PAPER[paper][0])
    head, row_pitch = HEAD_HEIGHTS[int(values["head"])], values["row_pitch"]
    return LogCode(
        f"{int(values['sheet']):09d}",
        EPOCH + dt.timedelta(days=int(values["day"])),
        paper,
        values["frame_top"],
        right - left,
        head + len(per_week) * row_pitch - MARK_DROP - MARK,
        float(MARK),
        (values["first_x"], head - MARK_DROP + row_pitch / 2),
        values["pitch"],
        row_pitch,
        values["box"],
        per_week,
    )


# Format 1: (name, digits, scale): every field is a whole number of points, or of tenths where it counts
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


def _fields_text(code: LogCode) -> str:
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
    digits = ["1", code.sheet, code.start.strftime("%y%m%d"), str(PAPERS.index(code.paper))]
    digits += [f"{round(values[name] * scale):0{width}d}" for name, width, scale in _FIELDS]
    digits += [str(code.rows), *map(str, code.per_week)]
    return PREFIX + "".join(digits)


def parse(text: str) -> LogCode | None:
    """The code's fields, or None for any other QR code (the booking code, a poster's)."""
    if text.isdigit() and len(text) == 1 + PACKED_DIGITS and text[0] == str(FORMAT):
        return _unpacked(text[1:])
    if not text.startswith(PREFIX) or not text[len(PREFIX) :].isdigit():
        return None
    digits = text[len(PREFIX) :]
    if digits[0] != "1":
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
