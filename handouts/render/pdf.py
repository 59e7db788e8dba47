"""Turning planned handouts into PDF bytes: metadata, fonts, reproducibility."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterable
from functools import lru_cache

from reportlab.pdfgen.canvas import Canvas

from handouts.errors import DataError, HandoutError
from handouts.models import Clinic, Exercise, Handout
from handouts.render import draw, fonts, layout
from handouts.sheet import PAPER
from handouts.wording import clinic_text
from handouts.wording import load as load_wording


def check_printable(h: Handout) -> None:
    """Refuse text the fonts cannot draw, before any page exists: never an empty box."""
    fonts.require_printable(h.patient, f'the patient name "{h.patient}"')
    fonts.require_printable(h.program_title, f'the program title "{h.program_title}"')
    fonts.require_printable(h.note, "the note")
    _check_clinic(h.clinic, h.lang)
    for ex in h.exercises:
        _check_exercise(ex)


@lru_cache(maxsize=64)
def _check_exercise(ex: Exercise) -> None:
    for text in (ex.title, ex.short, ex.dose.load, *ex.cues):
        fonts.require_printable(text, f'exercise "{ex.id}"')


@lru_cache(maxsize=8)
def _check_clinic(clinic: Clinic, lang: str) -> None:
    sheet = clinic_text(clinic, load_wording(lang))
    texts = (clinic.name, clinic.signed, clinic.phone, sheet.safety, sheet.qr_caption, *(words for _, words in sheet.rpe_legend))
    for text in texts:
        fonts.require_printable(text, f"the clinic file {clinic.source or ''}".strip())


# reportlab keeps each registered font's subsets in the font object itself, shared by every
# document in the process: two threads drawing at once (the web page's previews, downloads
# and workshops) corrupt each other's subsets (an IndexError or KeyError in makeSubset).
# Drawing is bound by the interpreter lock anyway, so one page at a time costs nothing.
_DRAWING = threading.Lock()


def render(
    handouts: Iterable[Handout], skip_bad: bool = False, title: str | None = None, boxes: list[list[layout.Box]] | None = None
) -> bytes:
    """One page per handout in one document, so a combined print file shares its fonts.

    With `skip_bad`, a handout that cannot be printed is left out instead of
    stopping the document: the batch reports it from its own single file.
    `boxes`, when given, receives each page's section boxes (for tests of the layout).
    Safe to call from several threads: documents are drawn one at a time.
    """
    with _DRAWING:
        return _render(handouts, skip_bad, title, boxes)


def _render(handouts: Iterable[Handout], skip_bad: bool, title: str | None, boxes: list[list[layout.Box]] | None) -> bytes:
    buffer = io.BytesIO()
    fonts.face(fonts.REGULAR)
    fonts.face(fonts.BOLD)
    canvas: Canvas | None = None
    for h in handouts:
        try:
            check_printable(h)
            plan = layout.plan_page(h)
        except HandoutError:
            if skip_bad:
                continue
            raise
        if canvas is None:
            canvas = _canvas(buffer, h, title)
        canvas.setPageSize(PAPER[h.paper])
        drawn = draw.draw_page(canvas, h, plan)
        if boxes is not None:
            boxes.append(drawn)
        canvas.showPage()
    if canvas is None:
        raise DataError("no handout in this document could be printed")
    canvas.save()
    return buffer.getvalue()


def _canvas(buffer: io.BytesIO, first: Handout, title: str | None) -> Canvas:
    # With SOURCE_DATE_EPOCH set, reportlab takes its dates from it and "invariant"
    # fixes the document id, so the same inputs give the same bytes.
    reproducible = bool(os.environ.get("SOURCE_DATE_EPOCH", "").strip())
    words = load_wording(first.lang)
    c = Canvas(
        buffer,
        pagesize=PAPER[first.paper],
        initialFontName=fonts.REGULAR,  # never the unembedded Helvetica default
        initialFontSize=layout.BODY_PT,
        invariant=reproducible,
        lang=words.pdf_lang,
        pageCompression=1,
    )
    clinic = first.clinic
    c.setTitle(title or words("document_title", patient=first.patient))
    c.setAuthor(f"{clinic.signed}, {clinic.name}")
    c.setSubject(first.program_title)
    c.setCreator("handouts")
    c.setKeywords(words("keywords"))
    return c
