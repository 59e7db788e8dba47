"""A patient with poor eyesight: large print enlarges everything printed, and a whole program
fits one sheet of paper, the log on the back when the front is full (and that back still scans)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from handouts.cli import main

from . import sheetphotos as sp
from .pdfread import page_texts

THREE = ["ankle-pumps", "seated-march", "toe-raise"]


def make(runner: CliRunner, out: Path, *args: str) -> bytes:
    result = runner.invoke(main, ["make", "Ana Lima", *args, "--large-print", "-o", str(out), "--no-history"])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def squares(page: pdfplumber.page.Page) -> list[dict]:
    return [r for r in page.rects if abs(r["width"] - r["height"]) < 0.01 and r["width"] >= 12 and not r.get("fill")]


@pytest.mark.parametrize("args", [THREE, ["--program", "balance-and-falls"], ["--program", "knee-osteoarthritis", "--paper", "a4"]])
def test_large_print_enlarges_every_character_and_box_on_the_sheet(runner, tmp_path, fixed_date, args):
    pdf = make(runner, tmp_path / "large.pdf", *args)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        sizes = [(round(c["size"], 2), c["text"]) for page in doc.pages for c in page.chars]
        boxes = [r for page in doc.pages for r in squares(page)]
    small = sorted({text for size, text in sizes if size < 13.99})
    assert small == [], f"characters under 14 pt: {small}"
    assert boxes and min(b["width"] for b in boxes) >= 18
    text = " ".join(" ".join(page_texts(pdf)).split())
    for words in ("Two-week log", "Tick inside the box", "How hard should it feel?", "Stop and call us", "Given November 25, 2026"):
        assert words in text


def test_a_whole_program_prints_on_one_sheet_with_the_log_on_the_back(runner, tmp_path, fixed_date):
    pdf = make(runner, tmp_path / "balance.pdf", "--program", "balance-and-falls")
    front, back = page_texts(pdf)
    assert "Your two-week log is on the back of this sheet." in " ".join(front.split())
    assert "Stop and call us" in front, "the safety line stays on the front"
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert squares(doc.pages[0]) == [], "no tick boxes on the front"
        assert len(squares(doc.pages[1])) == 5 * 14
    assert "Two-week log" in back and "RPE 10" in back
    plain = runner.invoke(main, ["make", "Ana Lima", "--program", "balance-and-falls", "-o", str(tmp_path / "plain.pdf"), "--no-history"])
    assert plain.exit_code == 0 and len(PdfReader(tmp_path / "plain.pdf").pages) == 1, "plain print keeps to one side"


def test_a_few_exercises_in_large_print_that_fit_one_side_stay_on_one_side(runner, tmp_path, fixed_date):
    pdf = make(runner, tmp_path / "one.pdf", "ankle-pumps")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_the_back_of_the_sheet_is_read_from_a_photo(runner, tmp_path, history_file, fixed_date):
    pdf = make(runner, tmp_path / "balance.pdf", "--program", "balance-and-falls", "--start", "2026-11-30")
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(pdf)).pages[1])
    back = io.BytesIO()
    writer.write(back)
    sheet = sp.sheet(back.getvalue())
    page, ticks = sp.tick_sheet(sheet, np.random.default_rng(3), pen=3, colour="blue")
    photo = tmp_path / "back.jpg"
    photo.write_bytes(sp.photograph(page, 3)[0])
    result = runner.invoke(main, ["scan", str(photo), "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    reading = data[0] if isinstance(data, list) else data
    assert len(reading["rows"]) == 5
    start = __import__("datetime").date(2026, 11, 30)
    ticked = {
        (r, (__import__("datetime").date.fromisoformat(day) - start).days) for r, row in enumerate(reading["rows"]) for day in row["ticked"]
    }
    assert ticked == ticks.ticked, "every ticked box on the back read as ticked, and no other"


def test_a_plan_too_long_even_for_both_sides_says_so_in_sheets(runner, tmp_path):
    ids = ["wall-calf-raise", "hinge-tall-toes", "band-row", "hip-flexor-stretch", "hinge-heel-raised", "bird-dog"]
    result = runner.invoke(main, ["make", "Ana Lima", *ids, "--large-print", "-o", str(tmp_path / "x.pdf"), "--no-history"])
    assert result.exit_code == 1
    assert "exercises fit on one letter sheet (the log on the back)" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_when_even_that_is_not_enough_the_safety_line_joins_the_log_on_the_back(runner, tmp_path, fixed_date):
    pdf = make(runner, tmp_path / "hip.pdf", "--program", "hip-osteoarthritis")
    front, back = (" ".join(t.split()) for t in page_texts(pdf))
    assert "Your two-week log, and when to stop and call us, are on the back of this sheet." in front
    assert "Stop and call us" not in front and "Stop and call us if you feel sharp pain" in back
    assert "Two-week log" in back
