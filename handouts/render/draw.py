"""Drawing the planned page with reportlab's canvas, section by section.

Every measure comes from layout.py; this module only places what the plan decided.
"""

from __future__ import annotations

import re

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfgen.canvas import Canvas

from handouts import sheet
from handouts.models import Handout, luminance
from handouts.render import booking_qr as qr
from handouts.render import fonts
from handouts.render import small_qr as qrsmall
from handouts.render.figure import draw_figure
from handouts.render.fonts import BOLD, REGULAR
from handouts.render.layout import (
    BADGE_BASELINE,
    BADGE_D,
    BADGE_INSET,
    BADGE_RING,
    BAND,
    BLACK,
    BODY_PT,
    BULLET_INDENT,
    CAP_CENTRE,
    CARD_GAP,
    CARD_PAD,
    CARD_RADIUS,
    CELL_PAD,
    DAY_BASELINE,
    DAY_GAP,
    DOSE_PAD,
    ELLIPSIS_ROOM,
    GOAL_BASELINE,
    HINT_GAP,
    INK,
    LEGEND_GAP,
    LEGEND_HINT_GAP,
    LOGO_MAX,
    MONTH_INSET,
    MUTED,
    NOTE_LIFT,
    NOTE_PAD,
    NOTES_LINE,
    PHONE_GAP,
    QR_GAP,
    QR_SIZE,
    QR_TEXT_W,
    RULE,
    RULE_W,
    SAFETY_BAR,
    SAFETY_PAD,
    SECTION_GAP,
    WHITE,
    Box,
    Card,
    Plan,
    band_h,
    given_text,
    lead,
    legend_label_w,
    log_geometry,
    patient_h,
    safety_h,
)
from handouts.render.text import draw, fit_one_line, wrap
from handouts.sheet import LOG_CODE, MARGIN, MARK, PAPER, WEEK, LogGeometry


def draw_page(c: Canvas, h: Handout, plan: Plan) -> list[Box]:
    """Draw the planned page; return each section's box so tests can hold text to it."""
    _page_w, page_h = PAPER[h.paper]
    brand = HexColor(h.clinic.brand_color)
    if plan.grayscale:  # for a black-and-white printer: the brand colour as the grey it prints as
        level = luminance(brand.red, brand.green, brand.blue)
        brand = Color(level, level, level)
    x, top = MARGIN, page_h - MARGIN
    right = x + plan.width
    caption_right = right - QR_SIZE - QR_GAP
    boxes = [
        Box("clinic", x, top - QR_SIZE, caption_right - QR_TEXT_W - QR_GAP, top),
        Box("qr caption", caption_right - QR_TEXT_W, top - QR_SIZE, caption_right, top),
        Box("qr", right - QR_SIZE, top - QR_SIZE, right, top),
    ]
    gap = plan.type.gap
    y = _header(c, h, plan, brand, x, top) - gap
    bottom = _patient(c, h, plan, brand, x, y)
    boxes.append(Box("patient", x, bottom, right, y))
    y = _cards(c, plan, brand, x, bottom - gap - plan.slack, boxes, h.clinic.brand_color)
    if plan.notes_h:
        notes_top = y - gap - plan.slack
        _notes(c, plan, brand, x, notes_top)
        boxes.append(Box("notes", x, notes_top - plan.notes_h, right, notes_top))
    if plan.back:
        return boxes + _two_sided(c, h, plan, brand, x, page_h)
    footer_top = MARGIN + plan.footer_h
    _footer(c, h, plan, brand, x, footer_top)
    safety_top = MARGIN + safety_h(plan.safety_lines, plan.sizes.label)
    if plan.legend and not plan.grid.side_legend:
        boxes.append(Box("rpe legend", x, safety_top, right, footer_top))
    boxes.append(Box("safety", x, MARGIN, right, safety_top))
    geometry = log_geometry(plan, h.paper)
    log_top = geometry.top
    _log_grid(c, h, plan, brand, x, log_top, geometry)
    _reading_marks(c, h, geometry)
    boxes.append(Box("log", x, footer_top + gap, x + plan.grid.width, log_top))
    if plan.grid.side_legend:
        legend_x = x + plan.grid.width + LEGEND_GAP
        _side_legend(c, plan, brand, legend_x, log_top)
        boxes.append(Box("rpe legend", legend_x, footer_top + gap, right, log_top))
    return boxes


def _two_sided(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, page_h: float) -> list[Box]:
    """Large print on one sheet: the front ends with where the log is and the safety line; the
    back carries the log (with its reading marks, so a photo of it scans) and the legend."""
    label = plan.sizes.label
    safety_top = MARGIN + safety_h(plan.safety_lines, label)
    c.setFillColor(brand)
    if plan.safety_back:  # the front says both are on the back, in two lines
        lines = wrap(plan.words("log_and_safety_on_back"), BOLD, label, plan.width)[:2]
        for i, line in enumerate(lines):
            draw(c, x, MARGIN + SECTION_GAP / 2 + (len(lines) - i) * lead(label) - label, line, BOLD, label)
        boxes: list[Box] = []
    else:
        _safety(c, plan, brand, x)
        c.setFillColor(brand)
        draw(c, x, safety_top + SECTION_GAP / 2 + lead(label) - label, plan.words("log_on_back"), BOLD, label)
        boxes = [Box("safety", x, MARGIN, x + plan.width, safety_top)]
    c.showPage()
    geometry = log_geometry(plan, h.paper)
    _log_grid(c, h, plan, brand, x, geometry.top, geometry)
    _reading_marks(c, h, geometry)
    log_bottom = geometry.top - plan.log_h
    if plan.legend:
        _legend_below(c, h, plan, brand, x, log_bottom - plan.type.gap)
    boxes.append(Box("log (back)", x, log_bottom, x + plan.grid.width, geometry.top))
    if plan.safety_back:
        _safety(c, plan, brand, x)
    return boxes


def _side_legend(c: Canvas, plan: Plan, brand: Color, x: float, top: float) -> None:
    words = plan.words
    c.setFillColor(brand)
    sz = plan.sizes
    y = top - sz.label
    title = words("side_legend_title")
    draw(c, x, y, title, BOLD, fit_one_line(title, BOLD, plan.width - plan.grid.width - LEGEND_GAP, sz.label, sz.least))
    y -= lead(sz.label) - lead(sz.side)
    label_w = legend_label_w(sz.side, words)
    c.setFillColor(INK)
    for level, lines in plan.grid.side_legend:
        y -= lead(sz.side)
        draw(c, x, y, words("rpe", level=level), BOLD, sz.side)
        for i, line in enumerate(lines):
            draw(c, x + label_w, y - i * lead(sz.side), line, REGULAR, sz.side)
        y -= (len(lines) - 1) * lead(sz.side)


def _header(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> float:
    clinic = h.clinic
    text_x = x
    if clinic.logo:
        from handouts.render.images import draw_logo  # Pillow only when there is a logo

        draw_logo(c, clinic.logo, x, top - LOGO_MAX, plan.logo_w, LOGO_MAX, plan.grayscale)
        text_x = x + plan.logo_w + QR_GAP
    c.setFillColor(brand)
    y = top
    for line in plan.clinic_name.lines:
        y -= lead(plan.clinic_name.size)
        draw(c, text_x, y, line, BOLD, plan.clinic_name.size)
    c.setFillColor(INK)
    y -= 3
    for line in plan.signed.lines:
        y -= lead(plan.signed.size)
        draw(c, text_x, y, line, REGULAR, plan.signed.size)
    # the booking QR, with its caption and the phone for people who cannot scan
    right = x + plan.width
    _qr(c, clinic.qr_target, right - QR_SIZE, top - QR_SIZE, QR_SIZE)
    text_right = right - QR_SIZE - QR_GAP
    block = plan.caption.height + lead(plan.phone_size) + PHONE_GAP
    ty = top - (QR_SIZE - block) / 2
    c.setFillColor(INK)
    for line in plan.caption.lines:
        ty -= lead(plan.caption.size)
        draw(c, text_right, ty, line, BOLD, plan.caption.size, align="right")
    c.setFillColor(brand)
    draw(
        c,
        text_right,
        ty - PHONE_GAP - lead(plan.phone_size),
        plan.words("or_call", phone=clinic.phone),
        BOLD,
        plan.phone_size,
        align="right",
    )
    y = top - QR_SIZE - RULE_W / 2
    c.setStrokeColor(brand)
    c.setLineWidth(RULE_W)
    c.line(x, y, right, y)
    return y - RULE_W / 2


def _patient(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> float:
    y = top
    for i, line in enumerate(plan.name_lines):
        y -= lead(plan.name_size)
        if i == 0:
            c.setFillColor(MUTED)
            draw(c, x, y, plan.words("for"), REGULAR, plan.sizes.label)
        c.setFillColor(INK)
        draw(c, x + plan.label_w, y, line, BOLD, plan.name_size)
    c.setFillColor(MUTED)
    program_pt = plan.sizes.program
    draw(c, x + plan.width, y - lead(program_pt), given_text(h), REGULAR, plan.sizes.label, align="right")
    c.setFillColor(brand)
    for line in plan.program_lines:
        y -= lead(program_pt)
        draw(c, x, y, line, BOLD, program_pt)
    return top - patient_h(plan)


def _cards(c: Canvas, plan: Plan, brand: Color, x: float, top: float, boxes: list[Box], brand_color: str) -> float:
    y = top
    for r, row_h in enumerate(plan.rows):
        for k, card in enumerate(plan.cards[r * plan.columns : (r + 1) * plan.columns]):
            cx = x + k * (card.width + CARD_GAP)
            _card(c, card, brand, cx, y, row_h, plan.grayscale, brand_color, plan.sizes.label)
            boxes.append(Box(f"card {card.number}", cx, y - row_h, cx + card.width, y))
        y -= row_h + CARD_GAP
    return y + CARD_GAP


def _notes(c: Canvas, plan: Plan, brand: Color, x: float, top: float) -> None:
    body = plan.type.body
    if plan.compact_note:  # a full page: the clinician's words alone, set apart by colour
        c.setFillColor(brand)
        y = top
        for line in plan.note_lines or []:
            y -= lead(body)
            draw(c, x, y + lead(body) - body - NOTE_LIFT, line, REGULAR, body)  # as wrapped: never past the margin
        return
    c.setFillColor(brand)
    draw(c, x, top - plan.sizes.heading, plan.words("notes"), BOLD, plan.sizes.heading)
    c.setFillColor(INK)
    y = top - plan.sizes.title_h
    for line in plan.note_lines or []:  # the clinician's own words, in the body size
        y -= lead(body)
        draw(c, x, y + lead(body) - body - NOTE_LIFT, line, REGULAR, body)
    if plan.note_lines:
        y -= NOTE_PAD
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    y -= NOTES_LINE
    while y >= top - plan.notes_h:
        c.line(x, y, x + plan.width, y)
        y -= NOTES_LINE


def _card(
    c: Canvas, card: Card, brand: Color, x: float, top: float, height: float, grayscale: bool, brand_color: str, badge_pt: float = BODY_PT
) -> None:
    c.setStrokeColor(RULE)
    c.setLineWidth(0.75)
    c.roundRect(x, top - height, card.width, height, CARD_RADIUS, stroke=1, fill=0)
    ix, iy = x + CARD_PAD, top - card.pad
    if card.thumb and card.exercise.picture:
        from handouts.render.images import draw_picture  # Pillow only when a picture needs preparing

        draw_picture(c, card.exercise.picture, ix, iy - card.thumb, card.thumb, grayscale)
    elif card.thumb and card.exercise.figure:
        draw_figure(c, card.exercise.figure, ix, iy - card.art_top - card.art_h, card.thumb, card.art_h, brand_color, grayscale)
    # numbered badge, so the log rows can point back at the card; a white ring keeps it
    # readable on top of a photo
    cx, cy = ix + BADGE_D / 2, iy - BADGE_D / 2
    if card.thumb:
        cx, cy = cx + BADGE_INSET, cy - BADGE_INSET
        c.setFillColor(WHITE)
        c.circle(cx, cy, BADGE_D / 2 + BADGE_RING, stroke=0, fill=1)
    c.setFillColor(brand)
    c.circle(cx, cy, BADGE_D / 2, stroke=0, fill=1)
    c.setFillColor(WHITE)
    draw(c, cx, cy - BADGE_BASELINE * badge_pt / BODY_PT, str(card.number), BOLD, badge_pt, align="center")
    c.setFillColor(INK)
    for line in card.title:
        draw(c, ix + line.dx, iy - line.dy, line.text, BOLD, card.title_size)
    for line in card.cues:
        if line.bullet:
            c.setFillColor(brand)
            draw(c, ix + line.dx - BULLET_INDENT, iy - line.dy, "\u2022", BOLD, card.body)
            c.setFillColor(INK)
        draw(c, ix + line.dx, iy - line.dy, line.text, REGULAR, card.body)
    # the dose band sits at the bottom of the card so bands line up across a row
    band_height = band_h(card.dose, card.body)
    band_y = top - height + card.pad
    c.setFillColor(BAND)
    c.roundRect(ix, band_y, card.width - 2 * CARD_PAD, band_height, CARD_RADIUS - 1, stroke=0, fill=1)
    c.setFillColor(INK)
    dy = band_y + band_height - DOSE_PAD - card.body
    for font, text in card.dose:
        draw(c, ix + DOSE_PAD, dy, text, font, card.body)
        dy -= lead(card.body)


def _log_grid(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float, g: LogGeometry) -> None:
    days = h.log_days
    cell_w = g.pitch
    words = plan.words
    c.setFillColor(brand)
    title = words("log_title")
    sz = plan.sizes
    draw(c, x, top - sz.heading, title, BOLD, sz.heading)
    c.setFillColor(MUTED)
    hint_x = x + fonts.width(title, BOLD, sz.heading) + HINT_GAP
    hint = words("log_hint")  # fitted: another language may run a quarter longer
    draw(c, hint_x, top - sz.heading, hint, REGULAR, fit_one_line(hint, REGULAR, x + plan.grid.width - hint_x, sz.label, sz.least))
    head_top = top - sz.title_h
    days_x = x + plan.grid.label_w + plan.grid.goal_w
    # two-digit days keep a visible gap even in the narrow grid beside the legend
    day_size = fit_one_line("28", BOLD, cell_w - DAY_GAP, sz.label, sz.least)
    c.setFillColor(MUTED)
    draw(
        c,
        x + plan.grid.label_w + plan.grid.goal_w / 2,
        head_top - sz.head_h + GOAL_BASELINE,
        words("goal"),
        REGULAR,
        sz.least,
        align="center",
    )
    # a month's name where the log starts and where a month begins; when the log starts a day
    # or two before a new month, the first name would run into the next, so only the new one shows
    months = [i for i, day in enumerate(days) if i == 0 or day.day == 1]
    for i, next_i in zip(months, [*months[1:], None], strict=True):
        label = words.month_short(days[i])
        if next_i is not None and fonts.width(label, BOLD, sz.least) + CELL_PAD > (next_i - i) * cell_w:
            continue
        c.setFillColor(brand)
        draw(c, days_x + i * cell_w + MONTH_INSET, head_top - sz.least, label, BOLD, sz.least)
    for i, day in enumerate(days):
        cx = days_x + (i + 0.5) * cell_w
        c.setFillColor(MUTED)
        draw(c, cx, head_top - sz.least - sz.weekday_drop, words.weekday(day), REGULAR, sz.least, align="center")
        c.setFillColor(INK)
        draw(c, cx, head_top - sz.head_h + DAY_BASELINE, str(day.day), BOLD, day_size, align="center")
    y = head_top - sz.head_h
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.line(x, y, x + plan.grid.width, y)
    box = plan.type.box
    for card in plan.cards:
        ex = card.exercise
        body = plan.type.body
        base = y - plan.row_h / 2 - body * CAP_CENTRE
        c.setFillColor(INK)
        label = f"{card.number}. {ex.log_label}"
        size = fit_one_line(label, REGULAR, plan.grid.label_w - CELL_PAD, body, sz.least)
        if fonts.width(label, REGULAR, size) > plan.grid.label_w - CELL_PAD:
            label = wrap(label, REGULAR, size, plan.grid.label_w - ELLIPSIS_ROOM)[0] + "\u2026"
        draw(c, x, base, label, REGULAR, size)
        c.setFillColor(MUTED)
        goal = words.weekly_target(ex.dose)
        draw(
            c,
            x + plan.grid.label_w + plan.grid.goal_w / 2,
            base,
            goal,
            REGULAR,
            fit_one_line(goal, REGULAR, plan.grid.goal_w - CELL_PAD, max(10, body - 1, sz.least), sz.least),
            align="center",
        )
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.8)
        for i in range(len(days)):
            c.rect(*g.box_at(card.number - 1, i), box, box, stroke=1, fill=0)
        y -= plan.row_h
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(x, y, x + plan.grid.width, y)
    # a faint line between the two weeks helps a patient find today's column
    c.setStrokeColor(RULE)
    c.setLineWidth(0.75)
    c.line(days_x + WEEK * cell_w, head_top - sz.head_h, days_x + WEEK * cell_w, y)


def _footer(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> None:
    if plan.legend and not plan.grid.side_legend:
        _legend_below(c, h, plan, brand, x, top)
    _safety(c, plan, brand, x)


def _safety(c: Canvas, plan: Plan, brand: Color, x: float) -> None:
    """The safety line: the one thing a patient must not miss."""
    height = safety_h(plan.safety_lines, plan.sizes.label)
    sy = MARGIN
    c.setFillColor(BAND)
    c.rect(x, sy, plan.width, height, stroke=0, fill=1)
    c.setFillColor(brand)
    c.rect(x, sy, SAFETY_BAR, height, stroke=0, fill=1)
    c.setFillColor(INK)
    label_pt = plan.sizes.label
    ly = sy + height - SAFETY_PAD - label_pt
    for line in plan.safety_lines:
        draw(c, x + SAFETY_BAR + SAFETY_PAD, ly, line, BOLD, label_pt)
        ly -= lead(label_pt)


def _legend_below(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> None:
    size = plan.legend_size
    words = plan.words
    y = top - size
    c.setFillColor(brand)
    title = words("legend_title")
    sz = plan.sizes
    draw(c, x, y, title, BOLD, sz.label)
    c.setFillColor(MUTED)
    hint_x = x + fonts.width(title, BOLD, sz.label) + LEGEND_HINT_GAP
    hint = words("legend_hint")
    draw(c, hint_x, y, hint, REGULAR, fit_one_line(hint, REGULAR, x + plan.width - hint_x, sz.label, sz.least))
    column_w = (plan.width - LEGEND_GAP) / 2
    label_w = legend_label_w(size, words)
    rows = -(-len(plan.legend) // plan.legend_columns)  # read down the first column, then the second
    for i, (level, text) in enumerate(plan.legend):
        lx = x + (i // rows) * (column_w + LEGEND_GAP)  # (one column: every level under the last)
        ly = y - (1 + i % rows) * lead(size)
        c.setFillColor(INK)
        draw(c, lx, ly, words("rpe", level=level), BOLD, size)
        draw(c, lx + label_w, ly, text, REGULAR, size)


def _reading_marks(c: Canvas, h: Handout, g: LogGeometry) -> None:
    """The corner markers and the small code `handouts scan` reads the returned log by."""
    c.setFillColor(BLACK)  # black whatever the brand: a phone camera needs the contrast
    for (x, y), rows in zip(g.markers, sheet.MARKER_BITS, strict=True):
        _cells(c, x, y, MARK / 6, ["111111", *(f"1{r}1" for r in rows), "111111"])
    modules = qrsmall.encode(sheet.to_text(describe(h, g)))
    _cells(c, *g.code, LOG_CODE / len(modules), ["".join("1" if m else "0" for m in row) for row in modules])


_DARK = re.compile("1+")


def _cells(c: Canvas, x: float, y: float, unit: float, rows: list[str]) -> None:
    """Dark cells ("1"), top row first, as one path of runs drawn in whole units of `unit`:
    small integers keep a page's stream short (about 600 bytes for the code and markers)."""
    c.saveState()
    c.translate(x, y + unit * len(rows))
    c.scale(unit, -unit)
    # written as the PDF operators themselves (reportlab's public addLiteral): a path object
    # would format each of a few hundred rectangles in Python, a millisecond per sheet
    runs = " ".join(f"{m.start()} {r} {m.end() - m.start()} 1 re" for r, row in enumerate(rows) for m in _DARK.finditer(row))
    c.addLiteral(f"{runs} f")
    c.restoreState()


def _qr(c: Canvas, target: str, x: float, y: float, size: float) -> None:
    grid = qr.modules(target)
    module = size / len(grid)
    c.setFillColor(WHITE)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(BLACK)  # full black: scanners want the strongest contrast
    path = c.beginPath()
    for row, col, run in qr.dark_runs(target):
        path.rect(x + col * module, y + size - (row + 1) * module, run * module, module)
    c.drawPath(path, stroke=0, fill=1)


def describe(h: Handout, g: LogGeometry) -> sheet.LogCode:
    """The small code's fields for this page: its number, dates, goals and where the boxes were drawn."""
    left, top = g.markers[0]
    bottom = g.markers[3][1]
    frame_top_y = top + g.marker  # PDF y of the frame's top edge
    return sheet.LogCode(
        sheet=h.sheet_number,
        start=h.start,
        paper=h.paper,
        frame_top=g.page_h - frame_top_y,
        width=g.markers[1][0] - left,
        height=top - bottom,
        marker=g.marker,
        first=(g.first[0] - left, frame_top_y - g.first[1]),
        pitch=g.pitch,
        row_pitch=g.row_pitch,
        box=g.box,
        per_week=tuple(min(7, ex.dose.per_week) for ex in h.exercises),
    )
