"""The page's words, line by line, against a checked-in reference (as rst2pdf's tests do).

Set HANDOUTS_REGENERATE=1 to rewrite the references after an intended change, then read
the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.render.pdf import render

from .pdfread import page_texts

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_the_default_handout_reads_as_it_did(paper, fixed_date):
    import datetime as dt

    handout = compose(load_library(), load_clinic(), "Zoë O'Brien", start=dt.date(2026, 11, 30), paper=paper)
    text = page_texts(render([handout]))[0] + "\n"
    reference = GOLDEN / f"zoe-{paper}.txt"
    if os.environ.get("HANDOUTS_REGENERATE"):
        reference.write_text(text, encoding="utf-8")
    assert text == reference.read_text(encoding="utf-8")
