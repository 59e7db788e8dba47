"""Real clinics type real names: every one prints exactly as typed, or is refused clearly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from handouts.cli import main
from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.output import slug
from handouts.render.layout import PAPER
from handouts.render.pdf import render

from .pdfread import chars, font_report, page_count, page_texts

PRINTER_REACH = 0.25 * 72


def assert_text_inside_boxes(data: bytes, boxes, paper: str, tolerance: float = 1.0) -> None:
    """Every glyph on the page sits wholly inside one section's box, and inside the printable area."""
    width, height = PAPER[paper]
    for ch in chars(data):
        if not ch["text"].strip():
            continue
        assert PRINTER_REACH <= ch["x0"] and ch["x1"] <= width - PRINTER_REACH, ch
        assert PRINTER_REACH <= ch["top"] and ch["bottom"] <= height - PRINTER_REACH, ch
        inside = [
            b.name
            for b in boxes
            if b.x0 - tolerance <= ch["x0"]
            and ch["x1"] <= b.x1 + tolerance
            and height - b.y1 - tolerance <= ch["top"]
            and ch["bottom"] <= height - b.y0 + tolerance
        ]
        assert inside, f"{ch['text']!r} at ({ch['x0']:.1f}, {ch['top']:.1f}) is outside every section box"


def one_page(name: str, paper: str = "letter", ids: tuple[str, ...] = ()) -> tuple[bytes, list]:
    boxes: list = []
    data = render([compose(load_library(), load_clinic(), name, ids, paper=paper)], boxes=boxes)
    return data, boxes[0]


@pytest.mark.parametrize(
    "name",
    [
        "Zoë O'Brien",
        "Anne-Marie Saint-Exupéry",
        "Ελένη Παπαδοπούλου",
        "Дмитрий Иванов",
        "Nguyễn Thị Minh Khai",
        "<b>Bold</b> & <font size=40>big</font>",
        "Łukasz Żółć-Ørsted",
    ],
)
def test_names_print_exactly_as_typed(name):
    data, boxes = one_page(name)
    assert name in page_texts(data)[0]
    assert all(font_report(data).values())
    assert_text_inside_boxes(data, boxes, "letter")


def test_vietnamese_typed_with_combining_marks_prints_precomposed():
    typed = "Nguye\u0302\u0303n"  # e + circumflex + tilde as separate marks, as some keyboards send
    data, _ = one_page(typed)
    assert "Nguyễn" in page_texts(data)[0]


def test_control_and_bidi_characters_are_dropped():
    data, _ = one_page("Ana\u0007 \u202eLima\u200b")
    assert "\nAna Lima\n" in page_texts(data)[0]
    assert PdfReader(io.BytesIO(data)).metadata.title == "Home exercise plan for Ana Lima"


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_a_120_character_name_wraps_inside_its_box(paper):
    name = " ".join(["Wolfeschlegelsteinhausenbergerdorff"] * 3 + ["Montgomery-Wyndham"])[:120]
    assert len(name) == 120
    data, boxes = one_page(name, paper, ("hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"))
    assert page_count(data) == 1
    assert_text_inside_boxes(data, boxes, paper)
    assert "".join(name.split()) in "".join(page_texts(data)[0].replace("\nFor\n", "").split())


def test_a_longer_name_is_refused(runner, tmp_path):
    result = runner.invoke(main, ["make", "A" * 121, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "the patient name is 121 characters; at most 120 fit on the page" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name, shown",
    [
        ("王小明", "'王' (U+738B)"),
        ("محمد علي", "'م' (U+0645)"),
        ("שרה כהן", "'ש' (U+05E9)"),
        ("Zoë 🏃", "'🏃' (U+1F3C3)"),
    ],
)
def test_scripts_the_fonts_lack_are_refused_by_name(runner, tmp_path, name, shown):
    result = runner.invoke(main, ["make", name, "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "cannot print" in result.stderr and shown in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "etc-passwd"),
        ("CON", "con-file"),
        ("a/b\\c", "a-b-c"),
        ("Ana\x00\x1bLima", "ana-lima"),
        ("Zoë O'Brien", "zoe-obrien"),
    ],
)
def test_file_names_from_names_are_safe(name, expected):
    assert slug(name) == expected


def test_non_latin_names_get_distinct_safe_file_names():
    assert slug("Ελένη").startswith("patient-") and slug("Ελένη") != slug("Дмитрий")


def test_a_300_character_name_makes_a_short_file_name():
    assert len(slug("x" * 300)) <= 80


def test_hostile_name_writes_inside_the_output_directory(runner, tmp_path, fixed_date):
    out = tmp_path / "out"
    result = runner.invoke(main, ["make", "../../etc/passwd", "-o", str(out)])
    assert result.exit_code == 0
    written = Path(result.stdout.strip())
    assert written.parent == out and written.name == "etc-passwd_ankle-loading_2026-11-25.pdf"
    assert "../../etc/passwd" in page_texts(written)[0]
