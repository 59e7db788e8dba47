"""The one-page sheet: every measure in points at the top, then the drawing.

The page is planned before it is drawn: each section is measured, the exercise
cards take whatever height is left, and if they cannot fit we refuse with the
name of the exercise that does not fit, rather than spilling onto a second page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from handouts import fonts, qr
from handouts.errors import DoesNotFit
from handouts.fonts import BOLD, REGULAR
from handouts.models import Exercise, Handout
from handouts.text import draw, fit, fit_one_line, wrap

PAPER = {"letter": LETTER, "a4": A4}

# Page
MARGIN = 0.5 * inch          # twice the 0.25 in a printer cannot reach
SECTION_GAP = 10
# Type: body text stays at 11 pt or more, nothing anywhere below 8 pt.
BODY_PT = 11
LEADING = 1.24               # line height as a multiple of the type size
SMALL_PT = 9
# Header
HEADER_H = 46
LOGO_MAX = 44
CLINIC_PT, CLINIC_MIN_PT = 17, 12
PHONE_PT = 14
RULE_W = 2
# Patient block
NAME_PT, NAME_MIN_PT, NAME_MAX_LINES = 20, 12, 3
PROGRAM_PT = 13
# Exercise cards
CARD_GAP = 8
CARD_PAD = 7
CARD_RADIUS = 4
BADGE_D = 18
TITLE_PT = 13
TITLE_MAX_LINES = 3
BULLET_INDENT = 10
CUE_GAP = 2                  # extra space between two cues
THUMB = 72                   # picture thumbnail, square, 1 in
THUMB_GAP = 8
DOSE_PAD = 5
# Two-week log
GRID_TITLE_H = 17
GRID_HEAD_H = 36
GRID_ROW_H = 19
GRID_LABEL_W = 124
GRID_GOAL_W = 58
TICK_BOX = 11
# Footer: QR, RPE legend, safety
QR_SIZE = 72                 # 1 in: at 150 dpi each module is still several dots wide
QR_TEXT_W = 168
FOOTER_GAP = 12
SAFETY_PAD = 6
SAFETY_BAR = 4

INK = HexColor("#1a1a1a")
MUTED = HexColor("#444444")
RULE = HexColor("#8a8a8a")
BAND = HexColor("#edf0f2")
WHITE = HexColor("#ffffff")
BLACK = HexColor("#000000")


def lead(size: float) -> float:
    return size * LEADING


@dataclass
class Card:
    exercise: Exercise
    number: int
    width: float
    title: list[str]
    cues: list[list[str]]
    dose: list[tuple[str, str]]   # (font, line)
    height: float = 0.0

    @property
    def has_picture(self) -> bool:
        return self.exercise.picture is not None


def plan_card(ex: Exercise, number: int, width: float) -> Card:
    inner = width - 2 * CARD_PAD
    title = wrap(ex.title, BOLD, TITLE_PT, inner - BADGE_D - 6)
    cue_w = inner - BULLET_INDENT - ((THUMB + THUMB_GAP) if ex.picture else 0)
    cues = [wrap(cue, REGULAR, BODY_PT, cue_w) for cue in ex.cues]
    d = ex.dose
    dose = [(BOLD, line) for line in wrap(f"{d.amount} \u00b7 {d.effort} \u00b7 {d.often}", BOLD, BODY_PT, inner - 2 * DOSE_PAD)]
    if d.load:
        dose += [(REGULAR, line) for line in wrap(d.load, REGULAR, BODY_PT, inner - 2 * DOSE_PAD)]
    card = Card(ex, number, width, title, cues, dose)
    card.height = _card_height(card)
    return card


def _title_h(card: Card) -> float:
    return max(BADGE_D, len(card.title) * lead(TITLE_PT))


def _cues_h(card: Card) -> float:
    text = sum(len(c) for c in card.cues) * lead(BODY_PT) + CUE_GAP * (len(card.cues) - 1)
    return max(text, THUMB) if card.has_picture else text


def _card_height(card: Card) -> float:
    band = len(card.dose) * lead(BODY_PT) + 2 * DOSE_PAD
    return CARD_PAD + _title_h(card) + 5 + _cues_h(card) + 6 + band + CARD_PAD


@dataclass
class Plan:
    width: float
    name_size: float
    name_lines: list[str]
    clinic_size: float
    columns: int
    cards: list[Card]
    rows: list[float]             # height of each row of cards
    log_h: float
    footer_h: float
    safety_lines: list[str]
    legend_size: float


def _patient_h(plan_name_lines: list[str], size: float) -> float:
    return lead(BODY_PT) + len(plan_name_lines) * lead(size) + lead(PROGRAM_PT)


def plan_page(h: Handout) -> Plan:
    """Measure every section; raise DoesNotFit before anything is drawn."""
    page_w, page_h = PAPER[h.paper]
    width = page_w - 2 * MARGIN
    usable = page_h - 2 * MARGIN
    clinic = h.clinic
    right_w = max(fonts.width(clinic.phone, BOLD, PHONE_PT), fonts.width(clinic.qr_caption, REGULAR, SMALL_PT)) + 8
    logo_w = (LOGO_MAX + 8) if clinic.logo else 0
    clinic_size = fit_one_line(clinic.name, BOLD, width - right_w - logo_w, CLINIC_PT, CLINIC_MIN_PT)
    name_size, name_lines = fit(h.patient, BOLD, width, NAME_PT, NAME_MIN_PT, NAME_MAX_LINES)
    if len(name_lines) > NAME_MAX_LINES:
        raise DoesNotFit(f"the patient name is too long for the page ({len(h.patient)} characters); shorten it")
    safety_lines = wrap(clinic.safety, BOLD, BODY_PT, width - 2 * SAFETY_PAD - SAFETY_BAR)
    legend_w = width - QR_SIZE - QR_TEXT_W - 2 * FOOTER_GAP
    longest = max((f"RPE {lvl}  {words}" for lvl, words in clinic.rpe_legend), key=lambda s: fonts.width(s, REGULAR, BODY_PT))
    legend_size = fit_one_line(longest, REGULAR, legend_w, BODY_PT, SMALL_PT)
    footer_h = QR_SIZE + SECTION_GAP + len(safety_lines) * lead(BODY_PT) + 2 * SAFETY_PAD
    log_h = GRID_TITLE_H + GRID_HEAD_H + len(h.exercises) * GRID_ROW_H
    fixed = (HEADER_H + RULE_W + SECTION_GAP + _patient_h(name_lines, name_size) + SECTION_GAP
             + SECTION_GAP + log_h + SECTION_GAP + footer_h)
    room = usable - fixed
    tallest: Card | None = None
    for columns in ((1, 2) if len(h.exercises) <= 3 else (2,)):
        card_w = (width - (columns - 1) * CARD_GAP) / columns
        cards = [plan_card(ex, i + 1, card_w) for i, ex in enumerate(h.exercises)]
        rows = [max(c.height for c in cards[r:r + columns]) for r in range(0, len(cards), columns)]
        if sum(rows) + CARD_GAP * (len(rows) - 1) <= room:
            return Plan(width, name_size, name_lines, clinic_size, columns, cards, rows,
                        log_h, footer_h, safety_lines, legend_size)
        tallest = max(cards, key=lambda c: c.height)
    assert tallest is not None
    raise DoesNotFit(
        f'the exercises do not fit on one page ({h.paper}); "{tallest.exercise.id}" is the longest '
        f"({tallest.height:.0f} pt of {room / math.ceil(len(h.exercises) / 2):.0f} pt available): "
        "shorten its cues or choose fewer exercises"
    )


def draw_page(c: Canvas, h: Handout, plan: Plan) -> None:
    page_w, page_h = PAPER[h.paper]
    brand = HexColor(h.clinic.brand_color)
    x, top = MARGIN, page_h - MARGIN
    y = _header(c, h, plan, brand, x, top)
    y = _patient(c, h, plan, brand, x, y - SECTION_GAP)
    _cards(c, plan, brand, x, y - SECTION_GAP)
    footer_top = MARGIN + plan.footer_h
    _footer(c, h, plan, brand, x, footer_top)
    _log_grid(c, h, plan, brand, x, footer_top + SECTION_GAP + plan.log_h)


def _header(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> float:
    clinic = h.clinic
    text_x = x
    if clinic.logo:
        from handouts.images import draw_logo  # Pillow only when there is a logo

        draw_logo(c, clinic.logo, x, top - LOGO_MAX, LOGO_MAX)
        text_x = x + LOGO_MAX + 8
    c.setFillColor(brand)
    draw(c, text_x, top - plan.clinic_size, clinic.name, BOLD, plan.clinic_size)
    c.setFillColor(INK)
    draw(c, text_x, top - plan.clinic_size - lead(BODY_PT) - 2, clinic.signed, REGULAR, BODY_PT)
    right = x + plan.width
    draw(c, right, top - PHONE_PT, clinic.phone, BOLD, PHONE_PT, align="right")
    c.setFillColor(MUTED)
    draw(c, right, top - PHONE_PT - lead(SMALL_PT) - 2, "call or text the clinic", REGULAR, SMALL_PT, align="right")
    y = top - HEADER_H
    c.setStrokeColor(brand)
    c.setLineWidth(RULE_W)
    c.line(x, y, right, y)
    return y - RULE_W


def _patient(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> float:
    c.setFillColor(MUTED)
    y = top - BODY_PT
    draw(c, x, y, "Home exercise plan for", REGULAR, BODY_PT)
    draw(c, x + plan.width, y, f"Given {h.issued:%d %B %Y}".replace(" 0", " "), REGULAR, BODY_PT, align="right")
    c.setFillColor(INK)
    for line in plan.name_lines:
        y -= lead(plan.name_size)
        draw(c, x, y + (lead(plan.name_size) - plan.name_size) * 0.5, line, BOLD, plan.name_size)
    y -= lead(PROGRAM_PT)
    c.setFillColor(brand)
    draw(c, x, y + 2, h.program_title, BOLD, PROGRAM_PT)
    return top - _patient_h(plan.name_lines, plan.name_size)


def _cards(c: Canvas, plan: Plan, brand: Color, x: float, top: float) -> None:
    y = top
    for r, row_h in enumerate(plan.rows):
        for k, card in enumerate(plan.cards[r * plan.columns:(r + 1) * plan.columns]):
            _card(c, card, brand, x + k * (card.width + CARD_GAP), y, row_h)
        y -= row_h + CARD_GAP


def _card(c: Canvas, card: Card, brand: Color, x: float, top: float, height: float) -> None:
    c.setStrokeColor(RULE)
    c.setLineWidth(0.75)
    c.roundRect(x, top - height, card.width, height, CARD_RADIUS, stroke=1, fill=0)
    inner_x = x + CARD_PAD
    y = top - CARD_PAD
    # numbered badge, so the log rows can point back at the card
    c.setFillColor(brand)
    c.circle(inner_x + BADGE_D / 2, y - BADGE_D / 2, BADGE_D / 2, stroke=0, fill=1)
    c.setFillColor(WHITE)
    draw(c, inner_x + BADGE_D / 2, y - BADGE_D / 2 - 4, str(card.number), BOLD, BODY_PT, align="center")
    c.setFillColor(INK)
    ty = y - TITLE_PT
    for line in card.title:
        draw(c, inner_x + BADGE_D + 6, ty, line, BOLD, TITLE_PT)
        ty -= lead(TITLE_PT)
    y -= _title_h(card) + 5
    cue_x = inner_x
    if card.exercise.picture:
        from handouts.images import draw_picture  # Pillow only when there are pictures

        draw_picture(c, card.exercise.picture, inner_x, y - THUMB, THUMB)
        cue_x += THUMB + THUMB_GAP
    cy = y - BODY_PT
    for cue in card.cues:
        c.setFillColor(brand)
        draw(c, cue_x, cy, "\u2022", BOLD, BODY_PT)
        c.setFillColor(INK)
        for line in cue:
            draw(c, cue_x + BULLET_INDENT, cy, line, REGULAR, BODY_PT)
            cy -= lead(BODY_PT)
        cy -= CUE_GAP
    # the dose band sits at the bottom of the card so bands line up across a row
    band_h = len(card.dose) * lead(BODY_PT) + 2 * DOSE_PAD
    band_y = top - height + CARD_PAD
    c.setFillColor(BAND)
    c.roundRect(inner_x, band_y, card.width - 2 * CARD_PAD, band_h, CARD_RADIUS - 1, stroke=0, fill=1)
    c.setFillColor(INK)
    dy = band_y + band_h - DOSE_PAD - BODY_PT
    for font, line in card.dose:
        draw(c, inner_x + DOSE_PAD, dy, line, font, BODY_PT)
        dy -= lead(BODY_PT)


def _log_grid(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> None:
    days = h.log_days
    cell_w = (plan.width - GRID_LABEL_W - GRID_GOAL_W) / len(days)
    c.setFillColor(brand)
    draw(c, x, top - 13, "Two-week log", BOLD, 13)
    c.setFillColor(MUTED)
    draw(c, x + fonts.width("Two-week log", BOLD, 13) + 8, top - 13,
         "tick a box each time you do the exercise", REGULAR, BODY_PT)
    head_top = top - GRID_TITLE_H
    days_x = x + GRID_LABEL_W + GRID_GOAL_W
    c.setFillColor(MUTED)
    draw(c, x + GRID_LABEL_W + GRID_GOAL_W / 2, head_top - GRID_HEAD_H + 7, "goal", REGULAR, SMALL_PT, align="center")
    for i, day in enumerate(days):
        cx = days_x + (i + 0.5) * cell_w
        if i == 0 or day.day == 1:
            c.setFillColor(brand)
            draw(c, days_x + i * cell_w + 2, head_top - SMALL_PT, f"{day:%b}", BOLD, SMALL_PT)
        c.setFillColor(MUTED)
        draw(c, cx, head_top - SMALL_PT - lead(SMALL_PT) - 1, "MTWTFSS"[day.weekday()], REGULAR, SMALL_PT, align="center")
        c.setFillColor(INK)
        draw(c, cx, head_top - GRID_HEAD_H + 4, str(day.day), BOLD, BODY_PT, align="center")
    y = head_top - GRID_HEAD_H
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.line(x, y, x + plan.width, y)
    for card in plan.cards:
        ex = card.exercise
        base = y - GRID_ROW_H + 5.5
        c.setFillColor(INK)
        label = f"{card.number}. {ex.log_label}"
        size = fit_one_line(label, REGULAR, GRID_LABEL_W - 4, BODY_PT, SMALL_PT)
        if fonts.width(label, REGULAR, size) > GRID_LABEL_W - 4:
            label = wrap(label, REGULAR, size, GRID_LABEL_W - 10)[0] + "\u2026"
        draw(c, x, base, label, REGULAR, size)
        c.setFillColor(MUTED)
        draw(c, x + GRID_LABEL_W + GRID_GOAL_W / 2, base, ex.dose.weekly_target, REGULAR, 10, align="center")
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.8)
        for i, day in enumerate(days):
            bx = days_x + (i + 0.5) * cell_w - TICK_BOX / 2
            c.rect(bx, y - GRID_ROW_H / 2 - TICK_BOX / 2, TICK_BOX, TICK_BOX, stroke=1, fill=0)
        y -= GRID_ROW_H
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(x, y, x + plan.width, y)
    # a faint line between the two weeks helps a patient find today's column
    c.setStrokeColor(RULE)
    c.setLineWidth(0.75)
    c.line(days_x + 7 * cell_w, head_top - GRID_HEAD_H, days_x + 7 * cell_w, y)


def _footer(c: Canvas, h: Handout, plan: Plan, brand: Color, x: float, top: float) -> None:
    clinic = h.clinic
    qr_y = top - QR_SIZE
    _qr(c, clinic.qr_target, x, qr_y, QR_SIZE)
    tx = x + QR_SIZE + FOOTER_GAP
    c.setFillColor(INK)
    cy = top - 14
    for line in wrap(clinic.qr_caption, BOLD, BODY_PT, QR_TEXT_W)[:2]:
        draw(c, tx, cy, line, BOLD, BODY_PT)
        cy -= lead(BODY_PT)
    c.setFillColor(MUTED)
    draw(c, tx, cy - 2, "or call", REGULAR, BODY_PT)
    c.setFillColor(brand)
    draw(c, tx, cy - 2 - lead(PHONE_PT), clinic.phone, BOLD, PHONE_PT)
    lx = tx + QR_TEXT_W + FOOTER_GAP
    c.setFillColor(brand)
    draw(c, lx, top - 12, "How hard should it feel? (RPE)", BOLD, BODY_PT)
    ly = top - 12
    for level, words in clinic.rpe_legend:
        ly -= lead(plan.legend_size) + 1
        c.setFillColor(INK)
        draw(c, lx, ly, f"RPE {level}", BOLD, plan.legend_size)
        c.setFillColor(INK)
        draw(c, lx + fonts.width("RPE 10", BOLD, plan.legend_size) + 6, ly, words, REGULAR, plan.legend_size)
    # safety line: the one thing a patient must not miss
    safety_h = len(plan.safety_lines) * lead(BODY_PT) + 2 * SAFETY_PAD
    sy = MARGIN
    c.setFillColor(BAND)
    c.rect(x, sy, plan.width, safety_h, stroke=0, fill=1)
    c.setFillColor(brand)
    c.rect(x, sy, SAFETY_BAR, safety_h, stroke=0, fill=1)
    c.setFillColor(INK)
    ly = sy + safety_h - SAFETY_PAD - BODY_PT
    for line in plan.safety_lines:
        draw(c, x + SAFETY_BAR + SAFETY_PAD, ly, line, BOLD, BODY_PT)
        ly -= lead(BODY_PT)


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
