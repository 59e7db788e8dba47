"""`handouts figures`: every drawing on a few pages with its title, for a clinic to review."""

from __future__ import annotations

import io

from reportlab.pdfgen.canvas import Canvas

from handouts.models import Exercise
from handouts.render.figure import draw_figure
from handouts.render.fonts import BOLD, REGULAR
from handouts.render.layout import INK, MUTED, RULE
from handouts.render.text import draw, fit_one_line, wrap
from handouts.sheet import MARGIN, PAPER

COLUMNS = 4
ROWS = 5
CELL_GAP = 8
CAPTION_H = 30  # the title under each drawing, two lines at most
TITLE_PT = 10
ID_PT = 8
HEADING_PT = 14
HEADING_H = 24


def contact_sheet(exercises: list[Exercise], brand_color: str, paper: str = "letter", heading: str = "Exercise drawings") -> bytes:
    page_w, page_h = PAPER[paper]
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(page_w, page_h), invariant=1, pageCompression=1)
    c.setTitle(heading)
    width = page_w - 2 * MARGIN
    cell_w = (width - (COLUMNS - 1) * CELL_GAP) / COLUMNS
    cell_h = (page_h - 2 * MARGIN - HEADING_H - (ROWS - 1) * CELL_GAP) / ROWS
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(exercises) // per_page))
    for page in range(pages):
        c.setFillColor(INK)
        draw(c, MARGIN, page_h - MARGIN - HEADING_PT, f"{heading} ({page + 1} of {pages})", BOLD, HEADING_PT)
        for i, ex in enumerate(exercises[page * per_page : (page + 1) * per_page]):
            col, row = i % COLUMNS, i // COLUMNS
            x = MARGIN + col * (cell_w + CELL_GAP)
            top = page_h - MARGIN - HEADING_H - row * (cell_h + CELL_GAP)
            c.setStrokeColor(RULE)
            c.setLineWidth(0.5)
            c.roundRect(x, top - cell_h, cell_w, cell_h, 3, stroke=1, fill=0)
            art_h = cell_h - CAPTION_H - 6
            if ex.figure is not None:
                draw_figure(c, ex.figure, x + 4, top - 4 - art_h, cell_w - 8, art_h, brand_color)
            else:
                c.setFillColor(MUTED)
                draw(c, x + cell_w / 2, top - art_h / 2, "no drawing", REGULAR, TITLE_PT, align="center")
            c.setFillColor(INK)
            lines = wrap(ex.title, BOLD, TITLE_PT, cell_w - 8)[:2]
            for k, line in enumerate(lines):
                draw(c, x + 4, top - art_h - 4 - (k + 1) * TITLE_PT * 1.15, line, BOLD, TITLE_PT)
            c.setFillColor(MUTED)
            draw(c, x + cell_w - 4, top - cell_h + 4, ex.id, REGULAR, fit_one_line(ex.id, REGULAR, cell_w - 8, ID_PT, 6), align="right")
        c.showPage()
    c.save()
    return buffer.getvalue()
