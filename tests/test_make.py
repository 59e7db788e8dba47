"""A physical therapist makes one handout right after an evaluation."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from handouts.cli import main
from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.render.layout import MARGIN, PAPER
from handouts.render.pdf import render

from .pdfread import black_and_white, booking_codes, chars, column_texts, font_report, page_count, page_texts, tick_boxes
from .pdfread import render as render_png

SEEDS = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]
PRINTER_REACH = 0.25 * 72


def make(runner: CliRunner, *args: str) -> Path:
    result = runner.invoke(main, ["make", *args])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.is_file()
    return path


def test_zoe_gets_her_two_exercises_with_doses_and_dates(runner, tmp_path, fixed_date):
    path = make(runner, "Zoë O'Brien", "hinge-heel-raised", "wall-calf-raise", "-o", str(tmp_path), "--start", "2026-11-27")
    assert result_is_only_path(runner, tmp_path)
    text = page_texts(path)[0]
    assert "Zoë O'Brien" in text
    assert "Ankle hinge, back heel raised" in text
    assert "Wall-lean calf raise" in text
    assert "45–60 seconds, 1–2 times · RPE 7+ · daily" in text
    assert "3 sets of 10–15 reps · RPE 8–9 · 2× a week" in text
    assert text.count("2× a week") == 2  # on the card and, said the same way, in the log
    assert "Given November 25, 2026" in text  # as the US writes it (clinic.toml: locale = "en-US")
    assert "Zenith Performance Physical Therapy" in text
    assert "Thomas Bilodeau, PT, DPT, USAW-L1" in text
    assert "562-502-1767" in text
    for level in ("RPE 7", "RPE 8", "RPE 9", "RPE 10"):
        assert level in text
    assert "Stop and call us" in text


def result_is_only_path(runner: CliRunner, out: Path) -> bool:
    result = runner.invoke(main, ["make", "Ana Lima", "-o", str(out)])
    return result.exit_code == 0 and result.stdout.count("\n") == 1 and result.stdout.strip().endswith(".pdf")


def test_log_has_fourteen_dated_columns_from_start(runner, tmp_path, fixed_date):
    path = make(runner, "Ana Lima", "-o", str(tmp_path), "--start", "2026-11-27")
    text = page_texts(path)[0]
    # Friday 27 November to Thursday 10 December, month named where it starts
    days = "27 28 29 30 1 2 3 4 5 6 7 8 9 10"
    assert days in text
    assert "Nov" in text and "Dec" in text
    assert "Fr Sa Su Mo Tu We Th Fr Sa Su Mo Tu We Th" in text  # weekdays that cannot be confused
    assert tick_boxes(path) == 14 * 4


def test_default_program_is_used_without_ids(runner, tmp_path, fixed_date):
    path = make(runner, "Ana Lima", "-o", str(tmp_path))
    assert path.name == "ana-lima_ankle-loading_2026-11-25.pdf"
    text = column_texts(path)
    assert "Ankle and foot loading for runners" in text
    for title in ("Ankle hinge, back heel raised", "on a plate", "high on the toes", "Wall-lean calf raise"):
        assert title in text


def test_fonts_are_embedded_and_metadata_set(runner, tmp_path, fixed_date):
    path = make(runner, "Zoë O'Brien", "-o", str(tmp_path))
    fonts = font_report(path)
    assert fonts and all(fonts.values()), fonts
    assert not any("Helvetica" in name for name in fonts)
    reader = PdfReader(path)
    meta = reader.metadata
    assert meta.title == "Home exercise plan for Zoë O'Brien"
    assert meta.author == "Thomas Bilodeau, PT, DPT, USAW-L1, Zenith Performance Physical Therapy"
    assert meta.subject == "Ankle and foot loading for runners"
    assert reader.trailer["/Root"]["/Lang"] == "en-US"


def test_qr_dials_the_clinic_from_screen_and_from_a_black_and_white_print(runner, tmp_path, fixed_date):
    path = make(runner, "Ana Lima", "-o", str(tmp_path))
    assert booking_codes(render_png(path, dpi=100)) == ["tel:+15625021767"]
    assert booking_codes(black_and_white(render_png(path, dpi=150))) == ["tel:+15625021767"]


def test_qr_opens_booking_page_when_clinic_has_one(runner, tmp_path, library, fixed_date):
    clinic = library / "clinic.toml"
    clinic.write_text(
        clinic.read_text().replace('# booking_url = "https://example.com/book"', 'booking_url = "https://zenith.example/book?src=sheet"')
    )
    path = make(runner, "Ana Lima", "-o", str(tmp_path), "--clinic", str(clinic))
    assert booking_codes(render_png(path, dpi=150)) == ["https://zenith.example/book?src=sheet"]
    assert "562-502-1767" in page_texts(path)[0]  # the phone stays printed for people who cannot scan


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_subset_of_the_seed_exercises_fits_one_page(paper):
    library, clinic = load_library(), load_clinic()
    for n in range(1, len(SEEDS) + 1):
        for ids in itertools.combinations(SEEDS, n):
            data = render([compose(library, clinic, "Zoë O'Brien", ids, paper=paper)])
            assert page_count(data) == 1, ids
            _assert_inside_printable_area(data, paper)


def test_six_long_exercises_fit_on_both_papers(library):
    extra = "\n".join(
        f'[extra-{i}]\ntitle = "Single-leg reach {i}"\n'
        'cues = ["Stand tall on one leg, reach the other foot.", "Keep the knee soft, over the middle toes.",'
        ' "Move slowly; touch down if you wobble."]\n'
        'sets = 3\nreps = [8, 12]\nload = "Body weight only, then hold a light weight"\nrpe = "6-7"\nper_week = 3\n'
        for i in range(6)
    )
    (library / "exercises.toml").write_text((library / "exercises.toml").read_text() + extra)
    lib, clinic = load_library(library), load_clinic()
    for paper in PAPER:
        data = render([compose(lib, clinic, "Zoë O'Brien", [f"extra-{i}" for i in range(6)], paper=paper)])
        assert page_count(data) == 1
        _assert_inside_printable_area(data, paper)
        assert page_texts(data)[0].count("Single-leg reach") == 12  # six cards, six log rows


def _assert_inside_printable_area(data: bytes, paper: str) -> None:
    width, height = PAPER[paper]
    for ch in chars(data):
        assert ch["x0"] >= MARGIN - 0.5 and ch["x1"] <= width - MARGIN + 0.5, ch["text"]
        assert ch["top"] >= PRINTER_REACH and ch["bottom"] <= height - PRINTER_REACH, ch["text"]
        assert ch["size"] >= 8, (ch["text"], ch["size"])


def test_seven_exercises_are_refused(runner, tmp_path, library):
    extra = "".join(f'\n[more-{i}]\ntitle = "More {i}"\ncues = ["Go."]\nsets = 1\nreps = 5\nrpe = 6\nper_week = 2\n' for i in range(3))
    (library / "exercises.toml").write_text((library / "exercises.toml").read_text() + extra)
    ids = SEEDS + [f"more-{i}" for i in range(3)]
    result = runner.invoke(main, ["make", "Ana Lima", *ids, "--library", str(library), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "7 exercises do not fit on one page; choose at most 6" in result.stderr
    assert list(tmp_path.glob("*.pdf")) == []


def test_unknown_exercise_names_it_and_suggests(runner, tmp_path):
    result = runner.invoke(main, ["make", "Ana Lima", "wall-calf-raises", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert 'unknown exercise "wall-calf-raises" (did you mean "wall-calf-raise"' in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_bad_start_date_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["make", "Ana Lima", "--start", "2026-13-01", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "2026-13-01" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_never_clobbered_without_force(runner, tmp_path, fixed_date):
    first = make(runner, "Ana Lima", "-o", str(tmp_path))
    first.write_bytes(b"the PT's annotated copy")
    second = make(runner, "Ana Lima", "-o", str(tmp_path))
    assert second != first and second.name == "ana-lima_ankle-loading_2026-11-25-2.pdf"
    assert first.read_bytes() == b"the PT's annotated copy"
    forced = make(runner, "Ana Lima", "-o", str(first), "--force")
    assert forced == first and first.read_bytes().startswith(b"%PDF")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_output_may_be_a_pdf_path(runner, tmp_path):
    target = tmp_path / "sub" / "for-ana.pdf"
    assert make(runner, "Ana Lima", "-o", str(target)) == target


def test_same_inputs_give_identical_bytes_under_source_date_epoch(tmp_path):
    env = {"SOURCE_DATE_EPOCH": "1795608000", "PATH": "/usr/bin:/bin"}
    outputs = []
    for i in range(2):
        out = tmp_path / f"run{i}.pdf"
        subprocess.run([sys.executable, "-m", "handouts", "make", "Zoë O'Brien", "-o", str(out)], check=True, env=env, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"D:20261125120000" in outputs[0]


def test_a4_is_a4(runner, tmp_path):
    path = make(runner, "Ana Lima", "--paper", "a4", "-o", str(tmp_path))
    box = PdfReader(path).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_listings_show_ids_titles_and_doses(runner):
    result = runner.invoke(main, ["exercises"])
    assert result.exit_code == 0
    assert re.search(
        r"^wall-calf-raise\s+Wall-lean calf raise\s+\(3 sets of 10–15 reps, RPE 8–9, 2× a week\)$", result.stdout, re.MULTILINE
    )
    result = runner.invoke(main, ["programs"])
    assert "ankle-loading" in result.stdout and "(default)" in result.stdout


def test_the_qr_cache_gives_the_same_code_as_encoding_afresh(tmp_path, monkeypatch):
    from handouts.render import booking_qr as qr

    monkeypatch.setenv("HANDOUTS_CACHE", str(tmp_path))
    qr.modules.cache_clear()
    fresh = qr.modules("tel:+15625021767")
    assert list(tmp_path.glob("qr-*"))
    qr.modules.cache_clear()
    assert qr.modules("tel:+15625021767") == fresh == qr._encode("tel:+15625021767")


def test_an_unwritable_output_is_a_message_not_a_traceback(runner, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")
    result = runner.invoke(main, ["make", "Ana Lima", "-o", str(blocker / "sub" / "ana.pdf")])
    assert result.exit_code == 1
    assert f"{blocker / 'sub' / 'ana.pdf'}: cannot write here" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["Zoë O'Brien", "Ελένη Παπαδοπούλου"])
def test_a_handout_without_photos_stays_under_40_kb(name):
    data = render([compose(load_library(), load_clinic(), name)])
    assert len(data) <= 40_000, len(data)
