"""The small code beside the log: which sheet this is and where every tick box sits.

A returned sheet must be readable by any copy of handouts, not only the computer that
made it, so the code carries the log's whole geometry: the sheet's number, the first
day, each row's weekly goal, and the boxes' positions measured from the corner markers.
The text is "HO" and then digits only, which QR packs three to ten bits; it fits a
version 2 code (25 modules) for up to eight exercises.

Positions are in points, x to the right and y down, from the top-left corner of the
top-left marker (the "frame"); `make` writes them and `scan` reads them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the history reads sheet numbers without loading the page layout (and reportlab)
    from handouts.layout import LogGeometry
    from handouts.models import Handout

PREFIX = "HO"
FORMAT = 1                    # changes whenever the fields below change
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
    sheet: str                        # nine digits, printed as "482 193 775"
    start: dt.date
    paper: str
    frame_top: float                  # the frame's top edge, down from the top of the page
    width: float                      # left markers' left edge to right markers' left edge
    height: float                     # top markers' top edge to bottom markers' top edge
    marker: float
    first: tuple[float, float]        # centre of the first row's first box, in the frame
    pitch: float
    row_pitch: float
    box: float
    per_week: tuple[int, ...]         # each row's weekly goal; 7 is every day

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


def sheet_number(h: Handout) -> str:
    """Nine digits from what the sheet says: the same sheet printed twice has one number."""
    parts = [h.patient, h.patient_id, h.start.isoformat(), h.issued.isoformat(), h.paper, h.lang,
             h.program_id, h.note, h.clinic.name]
    parts += [f"{ex.id}:{ex.dose!r}" for ex in h.exercises]
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**9:09d}"


def describe(h: Handout, g: LogGeometry) -> LogCode:
    left, top = g.markers[0]
    bottom = g.markers[3][1]
    frame_top_y = top + g.marker  # PDF y of the frame's top edge
    return LogCode(
        sheet=sheet_number(h), start=h.start, paper=h.paper, frame_top=g.page_h - frame_top_y,
        width=g.markers[1][0] - left, height=top - bottom, marker=g.marker,
        first=(g.first[0] - left, frame_top_y - g.first[1]),
        pitch=g.pitch, row_pitch=g.row_pitch, box=g.box,
        per_week=tuple(min(7, ex.dose.per_week) for ex in h.exercises))


# (name, digits, scale): every field is a whole number of points, or of tenths where it counts
_FIELDS = (("frame_top", 3, 1), ("width", 3, 1), ("height", 3, 1), ("marker", 2, 1),
           ("first_x", 4, 10), ("first_y", 4, 10), ("pitch", 3, 10), ("row_pitch", 3, 10), ("box", 3, 10))


def to_text(code: LogCode) -> str:
    values = {"frame_top": code.frame_top, "width": code.width, "height": code.height, "marker": code.marker,
              "first_x": code.first[0], "first_y": code.first[1], "pitch": code.pitch,
              "row_pitch": code.row_pitch, "box": code.box}
    digits = [str(FORMAT), code.sheet, code.start.strftime("%y%m%d"), str(PAPERS.index(code.paper))]
    digits += [f"{round(values[name] * scale):0{width}d}" for name, width, scale in _FIELDS]
    digits += [str(code.rows), *map(str, code.per_week)]
    return PREFIX + "".join(digits)


def parse(text: str) -> LogCode | None:
    """The code's fields, or None for any other QR code (the booking code, a poster's)."""
    if not text.startswith(PREFIX) or not text[len(PREFIX):].isdigit():
        return None
    digits = text[len(PREFIX):]
    if digits[0] != str(FORMAT):
        return None
    try:
        sheet, rest = digits[1:10], digits[10:]
        start = dt.datetime.strptime(rest[:6], "%y%m%d").date()
        paper = PAPERS[int(rest[6])]
        pos = 7
        values: dict[str, float] = {}
        for name, width, scale in _FIELDS:
            values[name] = int(rest[pos:pos + width]) / scale
            pos += width
        rows = int(rest[pos])
        per_week = tuple(int(c) for c in rest[pos + 1:])
    except (ValueError, IndexError):
        return None
    if len(sheet) != 9 or rows == 0 or len(per_week) != rows:
        return None
    return LogCode(sheet, start, paper, values["frame_top"], values["width"], values["height"], values["marker"],
                   (values["first_x"], values["first_y"]), values["pitch"], values["row_pitch"], values["box"],
                   per_week)
