"""The one-page sheet's geometry: every measure in points, and the plan that places them.

The page is planned before it is drawn (draw.py): each section is measured, the
exercise cards take whatever height is left, and if they cannot fit we refuse with
the name of the exercise that does not fit, rather than spilling onto a second page.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from reportlab.lib.colors import HexColor

from handouts.errors import DoesNotFit
from handouts.models import Exercise, Figure, Handout
from handouts.render import fonts
from handouts.render.fonts import BOLD, REGULAR
from handouts.render.text import fit, fit_one_line, wrap
from handouts.sheet import (
    GRID_HEAD_H,
    GRID_TITLE_H,
    LARGE_HEAD_H,
    LOG_CODE,
    LOG_CODE_INSET,
    LOG_DAYS,
    MARGIN,
    MARK,
    MARK_DROP,
    PAPER,
    THUMB,
    LogGeometry,
    marker_columns,
)
from handouts.wording import SheetText, Wording, clinic_text
from handouts.wording import load as load_wording

# Page
SECTION_GAP = 10
# Type: body text stays at 11 pt or more, nothing anywhere below 8 pt.
BODY_PT = 11
LEADING = 1.2  # line height as a multiple of the type size
SMALL_PT = 9
# Header: clinic on the left, booking QR on the right
QR_SIZE = 72  # 1 in: at 150 dpi each module is still several dots wide
QR_TEXT_W = 168  # caption and phone beside the QR
QR_GAP = 8
LOGO_MAX = 44  # logo height; a square logo is this wide...
LOGO_MAX_W = 132  # ...a wide wordmark up to three times that
CLINIC_PT, CLINIC_MIN_PT = 17, 11
PHONE_PT = 13
RULE_W = 2
# Patient block
NAME_PT, NAME_MIN_PT, NAME_MAX_LINES = 20, 12, 3
PROGRAM_PT = 13
DESCENT_ROOM = 5  # below the last baseline, for g, p and y
# Exercise cards
CARD_GAP = 6
CARD_PAD = 6
CARD_RADIUS = 4
BADGE_D = 17
TITLE_PT = 13
BULLET_INDENT = 10
TITLE_GAP = 3  # title to first cue
BAND_GAP = 3  # last cue to the dose band
CUE_GAP = 2  # extra space between two cues
THUMB_SIZES = (THUMB, 60, 50, 44, 40)  # ...smaller only when a full page needs the room (0.55 in at least)
LARGE_THUMB_SIZES = (96, 84, THUMB, 60, 50)  # large print: the pictures grow with the type
FIGURE_SHARE = 0.22  # a tall drawing's column (NARROW_ASPECT or narrower), as a share of the card's inner width...
WIDE_FIGURE_SHARE = 0.45  # ...and a wide one's (WIDE_ASPECT and wider); in between, in proportion
NARROW_ASPECT, WIDE_ASPECT = 0.6, 3.0
FIGURE_MAX_W = 80  # a tall drawing's column on a one-column card is no wider than this
FIGURE_MAX_H = 96  # a drawing is never taller than this
THUMB_GAP = 8
THUMB_CLEAR = 2  # between a picture's bottom and the line top under it
DOSE_PAD = 3
# Two-week log
ROW_GROWTH = 8  # spare room on the page grows each log row by up to this
GRID_LABEL_W = 124
GRID_GOAL_W = 58
# On a full page the RPE legend moves beside the log, which narrows its columns
SIDE_LEGEND_W = 160  # at most...
SIDE_LEGEND_MIN_W = 110  # ...and at least
SIDE_LEGEND_PT = 10
SIDE_LEGEND_DESCENT = 2  # the last line's descenders reach 1.6 pt below the lines' own room
SIDE_LABEL_W = 110  # at most: narrower when the boxes need the room
SIDE_GOAL_W = 48
MIN_LABEL_W = 100  # an exercise's short name must still be readable in the log
TICK_BOX = 13  # the least a tick box may be (4.6 mm): a shaky hand still hits it...
BOX_GAP = 5  # ...with at least this much paper between two boxes
DAY_GAP = 5  # least space between two day numbers in the log header
# The corner markers and the small code `handouts scan` reads: see sheet.py
# Notes: ruled lines for the clinician's own words, when the page has room
NOTES_MIN_H = 60
NOTES_MAX_H = 200  # about eight lines; past that a page of empty lines looks unfinished
NOTES_LINE = 22
LINES_LEAST_BODY = 12  # a page steps its type down for ruled lines, never to the full page's 11 pt
NOTE_PAD = 4  # below the clinician's typed note, before the first ruled line
# Footer: RPE legend in two columns, then the safety line
LEGEND_GAP = 12
LEGEND_LABEL_GAP = 5  # after "RPE 10", before its words
SAFETY_PAD = 6
SAFETY_BAR = 4

# Small offsets inside the sections, named so the drawing has no unexplained numbers
HEADING_PT = 13  # "Notes" and the log's title
HINT_GAP = 8  # a heading to the grey hint after it
LEGEND_HINT_GAP = 6  # "How hard? (RPE)" to its hint
PHONE_GAP = 3  # the QR caption to the phone number under it
NOTE_LIFT = 1  # the typed note sits this far above the ruled line's position
BADGE_INSET = 2  # a badge on a photo moves in from its corner...
BADGE_RING = 1.5  # ...inside a white ring this wide
BADGE_BASELINE = 4  # the number's baseline below the badge's centre
CELL_PAD = 4  # room kept free beside text in a log cell
ELLIPSIS_ROOM = 10  # a cut label leaves this much for its "…"
MONTH_INSET = 2  # the month name's inset from its first day column
WEEKDAY_DROP = 10  # weekday initials below the month line
DAY_BASELINE = 3  # day numbers above the header's bottom edge
GOAL_BASELINE = 7  # the "goal" heading above the header's bottom edge
CAP_CENTRE = 0.35  # a label's baseline this many ems below a row's middle centres its letters

INK = HexColor("#1a1a1a")
MUTED = HexColor("#444444")
RULE = HexColor("#8a8a8a")
BAND = HexColor("#eeeeee")
WHITE = HexColor("#ffffff")
BLACK = HexColor("#000000")


def lead(size: float) -> float:
    return size * LEADING


@dataclass(frozen=True)
class Fitted:
    """Text fitted to a width: the size chosen and the lines it wrapped into."""

    size: float
    lines: list[str]

    @property
    def height(self) -> float:
        return len(self.lines) * lead(self.size)


@dataclass(frozen=True)
class Placed:
    """One line of a card, placed relative to the card's inner top-left corner."""

    dx: float
    dy: float  # baseline, downwards from the inner top
    text: str
    bullet: bool = False  # first line of a cue carries the bullet


@dataclass(frozen=True)
class Type:
    """The sizes that grow when a page has room: the fewer the exercises, the larger."""

    body: float  # cues, dose band, note, log labels
    title: float  # card titles
    box: float  # tick box side
    row: float  # least log row height
    gap: float = SECTION_GAP  # between the page's sections
    pad: float = CARD_PAD  # inside each card, above and below


# Largest first; a page takes the first that fits. The last is the full page as it always was.
TYPES = (
    Type(14, 17, 18, 26),
    Type(13, 16, 16, 23),
    Type(12, 14, 14, 20),
    Type(BODY_PT, TITLE_PT, TICK_BOX, 18),
    Type(BODY_PT, TITLE_PT, TICK_BOX, TICK_BOX + BOX_GAP, 5, 3),
    Type(BODY_PT, TITLE_PT, TICK_BOX, TICK_BOX + BOX_GAP, 4, 2),  # the fullest: gaps at their least
)  # a full page tightens its gaps, never its type
LARGE_PRINT_PT = 14
LARGE_FULL = Type(LARGE_PRINT_PT, 15, 18, 18 + BOX_GAP, 5, 3)  # large print's full page: its gaps tighten, never its type


class Sizes(NamedTuple):
    """The sizes that do not grow with the room on the page. Large print raises every one to
    LARGE_PRINT_PT or more, so nothing on its page is smaller: the weekday letters and the date
    above the log's boxes, the safety line, the legend, the clinic's header."""

    least: float  # nothing fitted shrinks below this
    label: float  # "For", the date given, the safety line, the legend, the log's hint, the badge's number
    heading: float  # "Notes" and the log's title
    side: float  # the legend beside the log
    program: float
    phone: float
    clinician: float  # the clinician and the QR's caption
    head_h: float  # the log's header: month, weekday and day number
    title_h: float  # the log's and the notes' title line
    weekday_drop: float  # weekday letters below the month's line


PLAIN = Sizes(SMALL_PT, BODY_PT, HEADING_PT, SIDE_LEGEND_PT, PROGRAM_PT, PHONE_PT, BODY_PT, GRID_HEAD_H, GRID_TITLE_H, WEEKDAY_DROP)
LARGE = Sizes(LARGE_PRINT_PT, LARGE_PRINT_PT, 16, LARGE_PRINT_PT, 16, 15, LARGE_PRINT_PT, LARGE_HEAD_H, 21, 16)


@dataclass
class Card:
    exercise: Exercise
    number: int
    width: float
    thumb: float  # the photo's or drawing's size, 0 without either
    title: list[Placed]
    cues: list[Placed]
    dose: list[tuple[str, str]]  # (font, line)
    body_h: float  # title, cues and picture, above the dose band
    body: float = BODY_PT  # the type sizes it was planned at
    title_size: float = TITLE_PT
    pad: float = CARD_PAD  # above and below its contents
    art_h: float = 0.0  # a drawing's height (its width is thumb)...
    art_top: float = 0.0  # ...and how far under the card's inner top it starts

    @property
    def height(self) -> float:
        return self.pad + self.body_h + BAND_GAP + band_h(self.dose, self.body) + self.pad


def band_h(dose: list[tuple[str, str]], body: float = BODY_PT) -> float:
    return len(dose) * lead(body) + 2 * DOSE_PAD


def plan_card(
    ex: Exercise,
    number: int,
    width: float,
    thumb: float = THUMB,
    words: Wording | None = None,
    body: float = BODY_PT,
    title_size: float = TITLE_PT,
    pad: float = CARD_PAD,
) -> Card:
    """Title and cues sit to the right of the picture while they fit there in one column; otherwise
    every cue goes under the picture, so no cue is split between the two. A drawing (no photo)
    takes a column of its own, a share of the card's width, as tall as the text beside it."""
    inner = width - 2 * CARD_PAD
    if ex.figure is not None and ex.picture is None:
        return _figure_card(ex, number, width, thumb / THUMB, words, body, title_size, pad)
    thumb = thumb if ex.picture else 0.0
    beside = thumb + THUMB_GAP if thumb else 0.0
    title_x = beside if thumb else BADGE_D + 6  # with a picture, the number badge sits on its corner
    title = [
        Placed(title_x, (i + 1) * lead(title_size) - (lead(title_size) - title_size), line)
        for i, line in enumerate(wrap(ex.title, BOLD, title_size, inner - title_x))
    ]
    top = max(BADGE_D, len(title) * lead(title_size)) + TITLE_GAP
    # beside the picture when that makes the card no taller than putting them all under it
    column = (
        beside
        if thumb
        and (
            max(thumb, top + _cues_height(ex.cues, inner - beside, body))
            <= max(top, thumb + THUMB_CLEAR) + _cues_height(ex.cues, inner, body)
        )
        else 0.0
    )
    y = top if not thumb or column else max(top, thumb + THUMB_CLEAR)
    cues: list[Placed] = []
    for n, cue in enumerate(ex.cues):
        if n:
            y += CUE_GAP
        for i, line in enumerate(wrap(cue, REGULAR, body, inner - column - BULLET_INDENT)):
            cues.append(Placed(column + BULLET_INDENT, y + body, line, bullet=i == 0))
            y += lead(body)
    dose = _dose_lines(ex, words, body, inner)
    card = Card(ex, number, width, thumb, title, cues, dose, max(y, thumb), body, title_size, pad)
    if thumb:  # a photo may flow its cues around it too, when that makes the card shorter
        flowing = dataclasses.replace(_flow_card(ex, number, width, thumb, thumb, words, body, title_size, pad), art_h=0.0)
        if flowing.height < card.height:
            return flowing
    return card


def figure_width(figure: Figure, inner: float) -> float:
    """A share of the card fixed by the drawing's shape: a standing figure is narrow, someone lying
    down wide, and each is drawn about as tall as the cues beside it."""
    x0, y0, x1, y1 = figure.box
    aspect = (x1 - x0) / (y1 - y0)
    share = FIGURE_SHARE + (WIDE_FIGURE_SHARE - FIGURE_SHARE) * min(1.0, max(0.0, (aspect - NARROW_ASPECT) / (WIDE_ASPECT - NARROW_ASPECT)))
    return min(FIGURE_MAX_W * share / FIGURE_SHARE, share * inner)


def _figure_card(
    ex: Exercise, number: int, width: float, scale: float, words: Wording | None, body: float, title_size: float, pad: float
) -> Card:
    """The drawing in the top left corner with the badge on it, the title beside it, and the cues
    beside it; a cue that starts below the drawing takes the card's whole width. A cue is never
    split between the two, so its lines keep one left edge. `scale` shrinks the drawing when a
    full page needs the room, as THUMB_SIZES do a photo."""
    assert ex.figure is not None
    inner = width - 2 * CARD_PAD
    art_w = figure_width(ex.figure, inner) * scale
    x0, y0, x1, y1 = ex.figure.box
    art_h = min(FIGURE_MAX_H * scale, art_w * (y1 - y0) / (x1 - x0))
    return _flow_card(ex, number, width, art_w, art_h, words, body, title_size, pad)


def _flow_card(
    ex: Exercise, number: int, width: float, art_w: float, art_h: float, words: Wording | None, body: float, title_size: float, pad: float
) -> Card:
    """A picture or drawing (art_w x art_h) in the top left corner, the title and the cues that
    start beside it there, the cues that start below it across the whole card."""
    inner = width - 2 * CARD_PAD
    column = art_w + THUMB_GAP
    title_x = column
    title = [
        Placed(title_x, (i + 1) * lead(title_size) - (lead(title_size) - title_size), line)
        for i, line in enumerate(wrap(ex.title, BOLD, title_size, inner - title_x))
    ]
    art_top = 0.0
    y = max(BADGE_D, len(title) * lead(title_size)) + TITLE_GAP
    cues: list[Placed] = []
    for n, cue in enumerate(ex.cues):
        if n:
            y += CUE_GAP
        x = column if y < art_top + art_h + THUMB_CLEAR else 0.0
        for i, line in enumerate(wrap(cue, REGULAR, body, inner - BULLET_INDENT - x)):
            cues.append(Placed(x + BULLET_INDENT, y + body, line, bullet=i == 0))
            y += lead(body)
    dose = _dose_lines(ex, words, body, inner)
    return Card(ex, number, width, art_w, title, cues, dose, max(y, art_top + art_h), body, title_size, pad, art_h, art_top)


def _dose_lines(ex: Exercise, words: Wording | None, body: float, inner: float) -> list[tuple[str, str]]:
    """The dose band's lines: the dose in bold, then the load advice."""
    band = (words or load_wording()).band(ex.dose)
    dose = [(BOLD, line) for line in wrap(band, BOLD, body, inner - 2 * DOSE_PAD)]
    if ex.dose.load:
        dose += [(REGULAR, line) for line in wrap(ex.dose.load, REGULAR, body, inner - 2 * DOSE_PAD)]
    return dose


def _cues_height(cues: tuple[str, ...], width: float, body: float) -> float:
    lines = sum(len(wrap(cue, REGULAR, body, width - BULLET_INDENT)) for cue in cues)
    return lines * lead(body) + CUE_GAP * (len(cues) - 1)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Everything the drawing needs, decided once: sizes, wrapped lines, the wording resolved."""

    width: float
    clinic_name: Fitted
    signed: Fitted
    caption: Fitted
    phone_size: float
    logo_w: float
    label_w: float
    name_size: float
    name_lines: list[str]
    program_lines: list[str]
    columns: int
    cards: list[Card]
    rows: list[float]  # height of each row of cards
    row_h: float
    log_h: float
    notes_h: float
    legend_size: float
    safety_lines: list[str]
    grid: Grid
    words: Wording  # the patient's language, resolved once for the whole page
    type: Type
    grayscale: bool = False
    note_lines: list[str] | None = None
    room_left: float = 0.0  # unused height before the log rows grew into it
    legend: tuple[tuple[str, str], ...] = ()
    slack: float = 0.0  # spare height put between the sections, so a short page fills evenly
    sizes: Sizes = PLAIN
    legend_columns: int = 2  # one when large print cannot fit a level's words in half the width
    back: bool = False  # large print that cannot fit one side: the log (and the legend) on the back
    safety_back: bool = False  # ...and, when even that is not enough, the safety line with them
    compact_note: bool = False  # a full page's note: its lines alone, in the brand colour, no heading

    @property
    def footer_h(self) -> float:
        if self.back:  # the front's foot: the "log on the back" line (over the safety line)
            safety = 0.0 if self.safety_back else safety_h(self.safety_lines, self.sizes.label)
            return lead(self.sizes.label) * (2 if self.safety_back else 1) + SECTION_GAP / 2 + safety
        return _footer_h(self.grid, self.legend_size, self.safety_lines, len(self.legend), self.sizes, self.legend_columns)


@dataclass(frozen=True)
class Grid:
    """The log's columns, and the RPE legend beside it when the page is full."""

    width: float
    label_w: float
    goal_w: float
    side_legend: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _footer_h(grid: Grid, legend_size: float, safety_lines: list[str], levels: int, sizes: Sizes = PLAIN, columns: int = 2) -> float:
    below = levels and not grid.side_legend
    legend = (1 + math.ceil(levels / columns)) * lead(legend_size) + SECTION_GAP / 2 if below else 0.0
    return legend + safety_h(safety_lines, sizes.label)


def _side_legend_h(grid: Grid, sizes: Sizes = PLAIN) -> float:
    """Its title, its lines, and room under the last line's descenders (its g, p and y)."""
    return lead(sizes.label) + sum(len(lines) for _, lines in grid.side_legend) * lead(sizes.side) + SIDE_LEGEND_DESCENT


def legend_label_w(size: float, words: Wording | None = None) -> float:
    """Room for the widest label, "RPE 10", so every level's words start in one column."""
    return fonts.width((words or load_wording())("rpe", level=10), BOLD, size) + LEGEND_LABEL_GAP


def legend_for(h: Handout, sheet: SheetText) -> tuple[tuple[str, str], ...]:
    """The effort levels this page needs explained: from the lowest printed (7 at most) to 10.

    A dose typed for one patient may ask for less effort than the library does; its
    level is explained too, in the clinic's words or the wording table's.
    """
    printed = [low for ex in h.exercises if (low := ex.dose.lowest_rpe) is not None]
    if not printed:
        return ()  # nothing on this page asks for an effort: no legend to read
    lowest = min([7, *printed])
    levels = tuple((level, text) for level, text in sheet.rpe_legend if int(level) >= lowest)
    plus = sorted({low for ex in h.exercises if ex.dose.rpe.endswith("+") and (low := ex.dose.lowest_rpe)})
    words = load_wording(h.lang)
    return levels + tuple((f"{level}+", words("rpe_plus", level=level)) for level in plus)


def _grids(h: Handout, width: float, legend: tuple[tuple[str, str], ...], t: Type, sizes: Sizes = PLAIN) -> list[Grid]:
    """The usual log across the page, then the narrower one with the legend beside it; each only
    if every day's column still holds a box of this type with BOX_GAP of paper beside it."""
    days = LOG_DAYS * (t.box + BOX_GAP)
    grids = []
    if sizes.label > BODY_PT:  # large print: a goal column for "5× a week" at 14 pt, the names the rest
        goal_w = GRID_GOAL_W * sizes.label / BODY_PT
        return [Grid(width, width - goal_w - days, goal_w)] if width - goal_w - days >= MIN_LABEL_W else []
    if width - GRID_LABEL_W - GRID_GOAL_W >= days:
        grids.append(Grid(width, GRID_LABEL_W, GRID_GOAL_W))
    # the legend beside the log takes what the boxes and a readable label leave, so it wraps less
    side_w = min(SIDE_LEGEND_W, width - LEGEND_GAP - SIDE_GOAL_W - days - MIN_LABEL_W)
    if legend and side_w >= SIDE_LEGEND_MIN_W and sizes.side <= SIDE_LEGEND_PT:  # large print: the legend stays below
        label_w = legend_label_w(sizes.side, load_wording(h.lang))
        side = tuple((level, tuple(wrap(text, REGULAR, sizes.side, side_w - label_w))) for level, text in legend)
        grid_w = width - side_w - LEGEND_GAP
        grids.append(Grid(grid_w, min(SIDE_LABEL_W, grid_w - SIDE_GOAL_W - days), SIDE_GOAL_W, side))
    return grids


def patient_h(plan: Plan) -> float:
    return _patient_height(plan.name_lines, plan.name_size, plan.program_lines, plan.sizes.program)


def _patient_height(name_lines: list[str], name_size: float, program_lines: list[str], program_pt: float = PROGRAM_PT) -> float:
    return len(name_lines) * lead(name_size) + len(program_lines) * lead(program_pt) + DESCENT_ROOM


def safety_h(lines: list[str], size: float = BODY_PT) -> float:
    return len(lines) * lead(size) + 2 * SAFETY_PAD


def logo_width(logo: Path) -> float:
    """The logo's printed width at LOGO_MAX high, so a wide wordmark is not shrunk to a stamp."""
    from handouts.library.photos import aspect_ratio  # Pillow only for clinics with a logo

    return min(LOGO_MAX_W, LOGO_MAX * aspect_ratio(logo))


def plan_page(
    h: Handout,
    drawings_may_give_way: bool = True,
    two_sided: bool = False,
    compact_note: bool = False,
    explain: bool = True,
    safety_back: bool = False,
) -> Plan:
    """Measure every section; raise DoesNotFit before anything is drawn."""
    page_w, page_h = PAPER[h.paper]
    width = page_w - 2 * MARGIN
    usable = page_h - 2 * MARGIN
    clinic = h.clinic
    words = load_wording(h.lang)
    sheet = clinic_text(clinic, words)
    logo_w = logo_width(clinic.logo) if clinic.logo else 0.0
    left_w = width - QR_SIZE - QR_TEXT_W - 2 * QR_GAP - (logo_w + QR_GAP if logo_w else 0)
    sz = LARGE if h.large_print else PLAIN
    clinic_name = Fitted(*fit(clinic.name, BOLD, left_w, CLINIC_PT, max(CLINIC_MIN_PT, sz.least), 2, one_line_down_to=14))
    signed = Fitted(*fit(clinic.signed, REGULAR, left_w, sz.clinician, sz.least, 2, one_line_down_to=max(10, sz.least)))
    caption = Fitted(*fit(sheet.qr_caption, BOLD, QR_TEXT_W, sz.clinician, sz.least, 2, one_line_down_to=max(10, sz.least)))
    phone_size = fit_one_line(words("or_call", phone=clinic.phone), BOLD, QR_TEXT_W, sz.phone, sz.least)
    if clinic_name.height + signed.height + 3 > QR_SIZE or len(caption.lines) > 2:
        raise DoesNotFit(f"{clinic.source}: the clinic name, clinician or QR caption is too long for the header")
    label_w = fonts.width(words("for"), REGULAR, sz.label) + 4
    name_size, name_lines = fit(h.patient, BOLD, width - label_w, NAME_PT, NAME_MIN_PT, NAME_MAX_LINES)
    program_lines = wrap(h.program_title, BOLD, sz.program, width - fonts.width(given_text(h), REGULAR, sz.label) - 12)
    if len(name_lines) > NAME_MAX_LINES:
        raise DoesNotFit(f"the patient name is too long for the page ({len(h.patient)} characters); shorten it")
    column_w = (width - LEGEND_GAP) / 2
    legend = legend_for(h, sheet)
    legend_size: float = sz.label  # measured as drawn: label column, then the words
    while legend_size > sz.least and any(
        legend_label_w(legend_size, words) + fonts.width(text, REGULAR, legend_size) > column_w for _, text in legend
    ):
        legend_size -= 0.5
    # in large print a level's words may not fit half the width: one column, a level a line
    legend_columns = (
        2 if all(legend_label_w(legend_size, words) + fonts.width(text, REGULAR, legend_size) <= column_w for _, text in legend) else 1
    )
    safety_lines = wrap(sheet.safety, BOLD, sz.label, width - 2 * SAFETY_PAD - SAFETY_BAR)
    n = len(h.exercises)
    patient_h = _patient_height(name_lines, name_size, program_lines, sz.program)
    has_pictures = any(ex.picture or ex.figure for ex in h.exercises)
    sizes = LARGE_THUMB_SIZES if h.large_print else THUMB_SIZES
    types = [t for t in TYPES if t.body >= LARGE_PRINT_PT] + [LARGE_FULL] if h.large_print else list(TYPES)
    note_title = 0.0 if compact_note else sz.title_h  # the last resort for a typed note: no heading
    best: tuple[float, Card, Type] | None = None  # the nearest miss, for the refusal
    thumbs = sizes if has_pictures else sizes[:1]
    # a step down in type or in picture size costs the same: the larger type with a much smaller
    # picture is not preferred to one step down in each
    steps = sorted(((ti, si) for ti in range(len(types)) for si in range(len(thumbs))), key=lambda p: (2 * p[0] + p[1], p[0]))
    grids_for = {ti: _grids(h, width, legend, t, sz) for ti, t in enumerate(types)}
    planned: dict[tuple[int, int, int], list[Card]] = {}
    notes = {ti: wrap(h.note, REGULAR, t.body, width) if h.note else [] for ti, t in enumerate(types)}

    def measure(ti: int, si: int, grid: Grid, columns: int) -> tuple[float, list[Card], list[float], float]:
        """The room left (negative: too long), the cards, the rows' heights and the log's height."""
        t = types[ti]
        note_h = note_height(notes[ti], t.body, note_title) + t.gap if notes[ti] else 0.0
        log_h: float = sz.title_h + sz.head_h + n * t.row
        if grid.side_legend:
            log_h = max(log_h, _side_legend_h(grid, sz))
        if two_sided:  # the front holds no log: a line saying where it is, over the safety line
            fixed = QR_SIZE + RULE_W + t.gap + patient_h + t.gap + note_h + t.gap
            if safety_back:  # two lines saying the log and the safety line are on the back
                fixed += 2 * lead(sz.label) + SECTION_GAP / 2
            else:
                fixed += lead(sz.label) + SECTION_GAP / 2 + safety_h(safety_lines, sz.label)
        else:
            fixed = QR_SIZE + RULE_W + t.gap + patient_h + t.gap + note_h + t.gap + log_h + t.gap
            fixed += _footer_h(grid, legend_size, safety_lines, len(legend), sz, legend_columns)
        key = (ti, si, columns)  # the two grids share their cards
        if key not in planned:
            card_w = (width - (columns - 1) * CARD_GAP) / columns
            planned[key] = [plan_card(ex, i + 1, card_w, thumbs[si], words, t.body, t.title, t.pad) for i, ex in enumerate(h.exercises)]
        cards = planned[key]
        rows = [max(c.height for c in cards[r : r + columns]) for r in range(0, len(cards), columns)]
        return usable - fixed - sum(rows) - CARD_GAP * (len(rows) - 1), cards, rows, log_h

    hopeless: set[int] = set()  # types whose smallest picture already does not fit: a larger one cannot
    # a page without a typed note first looks for room for ruled lines to write on (a step down in
    # type or picture size if it must); only then does it give them up
    for lines_first in (True, False) if not h.note and not two_sided else (False,):
        for ti, si in steps:
            layouts = [(grid, columns) for grid in grids_for[ti] for columns in ((1, 2) if n <= 3 else (2,))]
            smallest = len(thumbs) - 1
            if ti in hopeless or (lines_first and types[ti].body < LINES_LEAST_BODY):
                continue
            if si == 0 < smallest:
                tried = [measure(ti, smallest, g, cols) for g, cols in layouts]
                if all(spare < 0 for spare, *_ in tried):
                    hopeless.add(ti)
                    for spare, cards, *_ in tried:  # still the nearest miss, for the refusal
                        if best is None or spare > best[0]:
                            best = (spare, max(cards, key=lambda c: c.height), types[ti])
                    continue
            t = types[ti]
            note_lines = notes[ti]
            note_h = note_height(note_lines, t.body, note_title) + t.gap if note_lines else 0.0
            for grid, columns in layouts:
                spare, cards, rows, log_h = measure(ti, si, grid, columns)
                reserve = NOTES_MIN_H + t.gap if lines_first else 0.0
                if spare >= reserve:
                    room_left = spare
                    row_h = min(t.row + ROW_GROWTH, t.row + (spare - reserve) / n)
                    spare -= (row_h - t.row) * n
                    if note_lines:  # the typed note, then ruled lines in whatever room is left
                        notes_h = note_h - t.gap + min(max(0.0, spare), max(0.0, NOTES_MAX_H - note_h))
                    else:
                        notes_h = min(NOTES_MAX_H, spare - t.gap) if spare - t.gap >= NOTES_MIN_H else 0.0
                    used = notes_h + (t.gap if notes_h and not note_lines else 0.0)
                    # what is still empty, spread between the sections: above the cards, above the notes
                    # (when there are any), and above the log
                    slack = max(0.0, spare - used) / (3 if notes_h else 2)
                    return Plan(
                        width=width,
                        clinic_name=clinic_name,
                        signed=signed,
                        caption=caption,
                        phone_size=phone_size,
                        logo_w=logo_w,
                        label_w=label_w,
                        name_size=name_size,
                        name_lines=name_lines,
                        program_lines=program_lines,
                        columns=columns,
                        cards=cards,
                        rows=rows,
                        row_h=row_h,
                        log_h=log_h + (row_h - t.row) * n,
                        notes_h=notes_h,
                        legend_size=legend_size,
                        safety_lines=safety_lines,
                        grid=grid,
                        words=words,
                        type=t,
                        grayscale=h.grayscale,
                        note_lines=note_lines,
                        room_left=room_left,
                        legend=legend,
                        slack=slack,
                        sizes=sz,
                        legend_columns=legend_columns,
                        back=two_sided,
                        safety_back=safety_back,
                        compact_note=compact_note,
                    )
                tallest = max(cards, key=lambda c: c.height)
                if best is None or spare > best[0]:
                    best = (spare, tallest, t)
    if two_sided:
        raise DoesNotFit("the exercises do not fit the front even with the log on the back", field="exercises")
    if h.large_print:  # one sheet, not one side: the log goes on the back; the safety line follows it
        # only once the drawings have given way (it matters more on the front than they do)
        undrawn = all(ex.figure is None or ex.picture is not None for ex in h.exercises)
        for on_back in (False, True) if undrawn else (False,):
            try:
                return plan_page(h, drawings_may_give_way, two_sided=True, explain=False, safety_back=on_back)
            except DoesNotFit:
                pass
    drawn = [ex for ex in h.exercises if ex.figure is not None and ex.picture is None]
    if drawn and drawings_may_give_way:
        # the last resort before refusing: the drawing of the card with the most words gives way;
        # if that is not enough, every drawing does (a page of mostly bare cards looks unfinished)
        wordiest = max(drawn, key=lambda ex: (len(ex.title) + sum(len(c) for c in ex.cues), -h.exercises.index(ex)))
        try:
            return plan_page(
                dataclasses.replace(h, exercises=tuple(without_figure(ex) if ex is wordiest else ex for ex in h.exercises)),
                False,
                explain=False,
            )
        except DoesNotFit:
            return plan_page(dataclasses.replace(h, exercises=tuple(without_figure(ex) for ex in h.exercises)), False, explain=explain)
    if h.note and not compact_note:
        try:
            return plan_page(h, False, two_sided, compact_note=True, explain=False)
        except DoesNotFit:
            pass
    if h.note and explain:
        _refuse_note(h, width)
    if h.large_print and explain:
        _refuse_large_print(h)
    assert best is not None
    over, tallest, t = -best[0], best[1], best[2]
    lines = max(1, math.ceil(over / lead(t.body)))
    raise DoesNotFit(
        f"{n} exercises do not fit on one {h.paper} page: together they run about {lines} line{'s' if lines > 1 else ''} "
        f'too long. The longest is "{tallest.exercise.id}" ({len(tallest.cues) + len(tallest.dose)} lines of text); '
        "shorten its cues or choose fewer exercises.",
        field=f"exercise:{tallest.exercise.id}",
    )


def without_figure(ex: Exercise) -> Exercise:
    return dataclasses.replace(ex, figure=None)


def _refuse_large_print(h: Handout) -> None:
    """Large print was asked for and does not fit: say how many of these exercises would."""
    for k in range(len(h.exercises) - 1, 0, -1):
        try:
            plan_page(dataclasses.replace(h, exercises=h.exercises[:k]))
        except DoesNotFit:
            continue
        raise DoesNotFit(
            f"in large print ({LARGE_PRINT_PT} pt), {k} of these {len(h.exercises)} exercises fit on "
            f"one {h.paper} sheet (the log on the back); choose {k} or fewer, or leave out --large-print",
            field="exercises",
        )
    raise DoesNotFit(
        f"in large print ({LARGE_PRINT_PT} pt) not even one of these exercises fits on one {h.paper} sheet; leave out --large-print",
        field="exercises",
    )


def note_height(lines: list[str], body: float = BODY_PT, title_h: float = GRID_TITLE_H) -> float:
    """The note's heading, its lines and a little paper under them (none of either when compact)."""
    return title_h + len(lines) * lead(body) + (NOTE_PAD if title_h else 0.0)


def _refuse_note(h: Handout, width: float) -> None:
    """The exercises fit without the note: say how much of a note does fit, in characters."""
    try:
        bare = plan_page(dataclasses.replace(h, note=""))
    except DoesNotFit:
        return  # the exercises alone do not fit; that is the message to give
    del bare
    low, high = 0, len(h.note)
    while low < high:  # the longest start of the note that still fits, by the planner itself
        mid = (low + high + 1) // 2
        try:
            plan_page(dataclasses.replace(h, note=h.note[:mid].rstrip()), explain=False)
            low = mid
        except DoesNotFit:
            high = mid - 1
    fits = low
    count = f"{len(h.exercises)} exercise{'s' if len(h.exercises) != 1 else ''}"
    if not fits:
        raise DoesNotFit(
            f"there is no room for a note on {paper_name(h.paper)} with {count}; choose fewer exercises or leave the note out", field="note"
        )
    raise DoesNotFit(
        f"the note is {len(h.note)} characters and about {fits} fit on {paper_name(h.paper)} with {count}; "
        "shorten the note or choose fewer exercises",
        field="note",
    )


def paper_name(paper: str) -> str:
    return "an A4 page" if paper == "a4" else "a letter page"


def given_text(h: Handout) -> str:
    words = load_wording(h.lang)
    return words("given", date=words.date(h.issued, h.clinic.region))


def log_geometry(plan: Plan, paper: str) -> LogGeometry:
    page_w, page_h = PAPER[paper]
    log_top = page_h - MARGIN if plan.back else MARGIN + plan.footer_h + plan.type.gap + plan.log_h
    head_top = log_top - plan.sizes.title_h
    rows_top = head_top - plan.sizes.head_h
    rows_bottom = rows_top - len(plan.cards) * plan.row_h
    pitch = (plan.grid.width - plan.grid.label_w - plan.grid.goal_w) / LOG_DAYS
    days_x = MARGIN + plan.grid.label_w + plan.grid.goal_w
    left, right = marker_columns(page_w)
    top, bottom = head_top - MARK_DROP - MARK, rows_bottom
    return LogGeometry(
        markers=((left, top), (right, top), (right, bottom), (left, bottom)),
        code=(MARGIN + LOG_CODE_INSET, head_top - (GRID_HEAD_H + LOG_CODE) / 2),  # centred in the header
        first=(days_x + pitch / 2, rows_top - plan.row_h / 2),
        pitch=pitch,
        row_pitch=plan.row_h,
        box=plan.type.box,
        top=log_top,
        page_h=page_h,
    )


@dataclass(frozen=True)
class Box:
    """A section's rectangle in PDF points (origin bottom left): its text must stay inside."""

    name: str
    x0: float
    y0: float
    x1: float
    y1: float
