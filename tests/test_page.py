"""The sheet as a 70-year-old patient reads and ticks it: type that uses the room, boxes a shaky hand can hit."""

from __future__ import annotations

import dataclasses
import itertools
import re
import tomllib
from pathlib import Path

import pytest
import textstat

from handouts.cli import main
from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.paths import WORDING_DIR
from handouts.render.layout import BOX_GAP, TICK_BOX
from handouts.render.pdf import render

from .pdfread import chars, page_count, page_texts, tick_box_rects

SEEDS = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]
SIX = [*SEEDS, "single-leg-heel-raise", "calf-stretch"]


def pictured(tmp_path: Path):
    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (300, 300), (120, 160, 200)).save(photo)
    lib = load_library()
    return dataclasses.replace(lib, exercises={k: dataclasses.replace(e, picture=photo) for k, e in lib.exercises.items()})


def body_sizes(data: bytes, words: str) -> set[float]:
    """The sizes of the characters of one cue, found on the page."""
    found = chars(data)
    text = "".join(c["text"] for c in found)
    start = text.find(words)
    assert start >= 0, words
    return {round(c["size"], 1) for c in found[start : start + len(words)]}


@pytest.mark.parametrize(("count", "least"), [(1, 14), (3, 12), (6, 11)])  # three with their drawings: 12 pt
def test_the_fewer_the_exercises_the_larger_the_type(count, least):
    data = render([compose(load_library(), load_clinic(), "Ana Lima", SIX[:count])])
    sizes = body_sizes(data, "Split stance, weight on")
    assert min(sizes) >= least
    assert max(sizes) <= 14


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("with_pictures", [False, True])
@pytest.mark.parametrize("count", [1, 3, 4, 6])
def test_tick_boxes_are_large_and_apart_and_clear_of_the_lines(tmp_path, paper, with_pictures, count):
    library = pictured(tmp_path) if with_pictures else load_library()
    data = render([compose(library, load_clinic(), "Ana Lima", SIX[:count], paper=paper)])
    assert page_count(data) == 1
    boxes = tick_box_rects(data)
    assert len(boxes) == 14 * count
    assert min(b["width"] for b in boxes) >= TICK_BOX
    rows: dict[float, list[dict]] = {}
    for b in boxes:
        rows.setdefault(round(b["top"], 1), []).append(b)
    assert len(rows) == count
    for row in rows.values():
        row.sort(key=lambda b: b["x0"])
        assert min(b2["x0"] - b1["x1"] for b1, b2 in itertools.pairwise(row)) >= BOX_GAP - 0.01
    tops = sorted(rows)
    for upper, lower in itertools.pairwise(tops):  # and between one exercise's row and the next
        assert lower - (upper + rows[upper][0]["height"]) >= BOX_GAP - 0.01
    import pdfplumber

    with pdfplumber.open(__import__("io").BytesIO(data)) as pdf:
        page = pdf.pages[0]
        log_top = min(b["top"] for b in boxes)  # the log's own lines, not an exercise drawing's
        verticals = [
            ln for ln in page.lines if abs(ln["x0"] - ln["x1"]) < 0.01 and ln["bottom"] - ln["top"] > 20 and ln["bottom"] > log_top
        ]
        goals = [w for w in page.extract_words() if w["text"] in ("daily", "week")]
    for line in verticals:  # the line between the two weeks passes between boxes, never through one
        assert all(not (b["x0"] - 1 < line["x0"] < b["x1"] + 1) for b in boxes), line["x0"]
    first_box = min(b["x0"] for b in boxes)
    in_log = [w for w in goals if any(b["top"] - 4 <= (w["top"] + w["bottom"]) / 2 <= b["bottom"] + 4 for b in boxes)]
    assert len(in_log) >= count  # each row's weekly goal...
    assert all(w["x1"] < first_box - 2 for w in in_log)  # ...stays clear of the first box


def test_large_print_holds_the_type_or_says_how_many_fit(runner, tmp_path):
    ok = runner.invoke(main, ["make", "Ana Lima", *SEEDS[:2], "--large-print", "-o", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    data = Path(ok.stdout.strip()).read_bytes()
    assert min(body_sizes(data, "Split stance, weight on")) >= 14
    refused = runner.invoke(main, ["make", "Ana Lima", *SIX, "--large-print", "-o", str(tmp_path / "no")])
    assert refused.exit_code == 1
    assert re.search(r"in large print \(14 pt\), \d of these 6 exercises fit on one letter sheet", refused.output)
    assert not (tmp_path / "no").exists()


def test_the_legend_explains_every_effort_printed_and_what_plus_means():
    text = page_texts(render([compose(load_library(), load_clinic(), "Ana Lima", ["bridge", "hinge-plate"])]))[0]
    for level in ("RPE 6", "RPE 7", "RPE 8", "RPE 9", "RPE 10"):
        assert level in text
    assert "RPE 7+ 7 or a little harder is fine" in text


def test_a_page_without_any_effort_has_no_legend():
    text = page_texts(render([compose(load_library(), load_clinic(), "Ana Lima", ["chin-tuck", "calf-stretch"])]))[0]
    assert "How hard" not in text and "RPE" not in text


def test_frequency_is_said_the_same_way_on_the_card_and_in_the_log():
    text = page_texts(render([compose(load_library(), load_clinic(), "Ana Lima", ["wall-calf-raise"])]))[0]
    assert text.count("2× a week") == 2 and "/ week" not in text


def test_a_held_exercise_reads_in_one_go():
    text = page_texts(render([compose(load_library(), load_clinic(), "Ana Lima", ["hinge-plate"])]))[0]
    assert "45–60 seconds, 1–2 times" in text and "sets of" not in text


def test_the_qr_caption_says_what_the_code_does(library):
    clinic_file = library / "clinic.toml"
    calls = page_texts(render([compose(load_library(), load_clinic(clinic_file), "Ana Lima")]))[0]
    assert "Scan to call us" in calls
    clinic_file.write_text(
        clinic_file.read_text().replace('# booking_url = "https://example.com/book"', 'booking_url = "https://zenith.example/book"')
    )
    books = page_texts(render([compose(load_library(), load_clinic(clinic_file), "Ana Lima")]))[0]
    assert "book your next visit online" in books


def test_the_sheets_own_wording_reads_easily():
    """Dale-Chall over every fixed word a patient reads (not the exercises, not the clinic's names)."""
    table = tomllib.loads((WORDING_DIR / "en.toml").read_text(encoding="utf-8"))
    skip = {
        "language",
        "locale",
        "date",
        "weekdays",
        "document_title",
        "combined_title",
        "keywords",
        "email_subject",
        "email_body",
        "separator",
    }

    def texts(t: dict) -> list[str]:
        out = []
        for key, value in t.items():
            if isinstance(value, dict):
                out += texts(value)
            elif key not in skip:
                out.append(re.sub(r"\{[^}]+\}", "5", str(value)))
        return out

    wording = ". ".join(texts(table)) + ". " + load_clinic().safety
    score = textstat.dale_chall_readability_score(wording)
    assert score <= 7.5, score


@pytest.mark.parametrize("out", ["handout.txt", "notes.docx"])
def test_an_output_that_is_neither_a_folder_nor_a_pdf_is_a_usage_mistake(runner, tmp_path, out):
    result = runner.invoke(main, ["make", "Ana Lima", "-o", str(tmp_path / out)])
    assert result.exit_code == 2
    assert "neither a directory nor a .pdf path" in result.output
    assert not (tmp_path / out).exists()


def test_check_names_the_line_of_an_error_at_the_end_of_a_file(runner, library):
    ex = library / "exercises.toml"
    text = ex.read_text() + '\n[broken]\ntitle = "Broken\n'
    ex.write_text(text)
    result = runner.invoke(main, ["check", "--library", str(library)])
    assert result.exit_code == 1
    last = len(text.rstrip("\n").splitlines())
    assert f"{ex}:{last}: TOML syntax error" in result.output


def test_check_reports_every_unprintable_clinic_field_in_one_run(runner, library):
    clinic = library / "clinic.toml"
    text = clinic.read_text().replace('clinician = "Thomas Bilodeau"', 'clinician = "托马斯"')
    text = text.replace('phone = "562-502-1767"', 'phone = "☎ 562-502-1767"')
    clinic.write_text(text)
    result = runner.invoke(main, ["check", "--clinic", str(clinic)])
    assert result.exit_code == 1
    lines = text.splitlines()
    for field in ("clinician", "phone"):
        number = next(n for n, row in enumerate(lines, 1) if row.startswith(f"{field} ="))
        assert f"{clinic}:{number}: " in result.output and f'"{field}" has characters' in result.output


@pytest.mark.parametrize(("crop", "kept"), [("top", (255, 0, 0)), ("bottom", (0, 0, 255))])
def test_a_tall_photo_keeps_the_top_or_the_bottom(runner, library, tmp_path, crop, kept):
    from PIL import Image

    photo = Image.new("RGB", (300, 900), (0, 255, 0))
    photo.paste((255, 0, 0), (0, 0, 300, 300))
    photo.paste((0, 0, 255), (0, 600, 300, 900))
    path = tmp_path / "tall.png"
    photo.save(path)
    result = runner.invoke(main, ["picture", "add", "bridge", str(path), "--crop", crop, "--library", str(library)])
    assert result.exit_code == 0, result.output
    saved = Image.open(library / "pictures" / "bridge.jpg").convert("RGB")
    pixel = saved.getpixel((saved.width // 2, saved.height // 2))
    assert all(abs(a - b) < 40 for a, b in zip(pixel, kept, strict=True))
