"""The front desk drops in the roster its spreadsheet exported, whatever the flavour, and every patient gets a handout."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from handouts.cli import main
from handouts.roster import normalized, separator

from .pdfread import page_texts

HEADER = ["Patient Name", "E-mail", "Exercises", "Phone", "Start Date"]
ROWS = [
    ["Zoë O'Brien", "zoe@example.com", "hinge-plate wall-calf-raise", "555-0101", "2026-12-01"],
    ["José Núñez", "", "", "555-0102", "2026-12-01"],
    ["Ngozi Adébáyọ̀", "", "bridge", "555-0103", ""],
]


def exported(path: Path, delimiter: str, encoding: str, header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [
        (",", "utf-8"),
        (",", "utf-8-sig"),
        (";", "utf-8-sig"),
        ("\t", "utf-16"),
        (";", "cp1252"),
        (",", "cp1252"),
    ],
)
def test_every_export_flavour_gives_every_patient_a_handout(runner, tmp_path, delimiter, encoding):
    rows = ROWS[:2] if encoding == "cp1252" else ROWS  # Windows-1252 cannot hold Yoruba tone marks
    roster = exported(tmp_path / "roster.csv", delimiter, encoding, rows=rows)
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert len(pdfs) == len(rows)
    names = "".join(page_texts(p)[0] for p in pdfs)
    assert "Zoë O'Brien" in names and "José Núñez" in names
    assert f"{roster}:1: warning: ignored column 'Phone' (not used on a handout)" in result.stderr
    assert ("read as Windows-1252" in result.stderr) == (encoding == "cp1252")


def test_an_xlsx_roster_with_first_and_last_names_apart(runner, tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["First Name", "Last Name", "Program", "Start", "Notes"])
    sheet.append(["Ana", "Lima", "knee-osteoarthritis", dt.datetime(2026, 12, 1), "Slowly."])
    sheet.append(["Bo", "Chen", "no-such-program", None, None])
    sheet.append(["Cy", "Diaz", "", dt.date(2026, 12, 2), None])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    result = runner.invoke(main, ["batch", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f'{path}:3: unknown program "no-such-program"' in result.stderr  # a spreadsheet row number
    made = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert made == ["ana-lima_knee-osteoarthritis_2026-12-01.pdf", "cy-diaz_ankle-loading_2026-12-02.pdf"]
    assert "Slowly." in page_texts(tmp_path / "out" / made[0])[0]


def test_a_missing_name_column_lists_the_columns_found(runner, tmp_path):
    roster = exported(tmp_path / "r.csv", ",", "utf-8", header=["Client No", "Phone"], rows=[["1", "2"]])
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert 'no "name" column' in result.stderr and "the columns found are: Client No, Phone" in result.stderr


def test_a_roster_with_only_a_header_is_an_error(runner, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("name,exercises\n", encoding="utf-8")
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "no patients in the roster, only a header row" in result.stderr


def test_a_rerun_remakes_exactly_the_rows_that_changed(runner, tmp_path):
    rows = [[f"Runner {i:02d}", "", "hinge-plate", "", "2026-12-01"] for i in range(30)]
    roster = exported(tmp_path / "r.csv", ",", "utf-8", rows=rows)
    out = tmp_path / "out"
    first = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    assert first.stderr.strip().splitlines()[-1] == "30 written, 0 failed"
    untouched = out / "runner-20_custom_2026-12-01.pdf"
    before = untouched.stat().st_mtime_ns
    for i in range(10):  # ten rows edited: another exercise, so a new version of each file
        rows[i][2] = "hinge-plate wall-calf-raise:3x8@8"
    exported(roster, ",", "utf-8", rows=rows)
    second = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    assert second.stderr.strip().splitlines()[-1] == "0 written, 10 remade (changed), 20 skipped (unchanged), 0 failed"
    assert "3 sets of 8 reps · RPE 8" in page_texts(out / "runner-03_custom_2026-12-01_v2.pdf")[0]
    assert "3 sets of 8 reps · RPE 8" not in page_texts(out / "runner-03_custom_2026-12-01.pdf")[0]  # as first given
    assert untouched.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Patient_Name", "name"),
        ("patient-name", "name"),
        (" E-MAIL ", "email"),
        ("Email Address", "email"),
        ("given name", "first"),
        ("Surname", "last"),
        ("Start Date", "start"),
        ("MRN", "patient_id"),
    ],
)
def test_headers_are_matched_as_people_write_them(header, column):
    from handouts.roster import _COLUMN_OF

    assert _COLUMN_OF[normalized(header)] == column


@pytest.mark.parametrize(
    ("line", "sep"),
    [("name,exercises", ","), ("name;exercises;start", ";"), ("name\texercises", "\t"), ('"Lima, Ana";x;y', ";"), ("name", ",")],
)
def test_the_separator_is_read_from_the_header(line, sep):
    assert separator(line) == sep


def test_a_roster_mixing_utf8_and_windows_rows_reads_each_row_as_it_was_written(runner, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"name,exercises\n" + "Zoë Utf,bridge\n".encode() + "José Win,bridge\n".encode("cp1252") + b"Ann Plain,bridge\n")
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    text = " ".join(page_texts(Path(p).read_bytes())[0] for p in result.stdout.split())
    assert "Zoë Utf" in text and "José Win" in text and "Ã" not in text
    assert f"{roster}:3: warning: not UTF-8" in result.stderr and f"{roster}:2: warning" not in result.stderr
