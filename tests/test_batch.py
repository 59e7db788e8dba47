"""The front desk prepares handouts for a whole workshop roster in one go."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handouts.cli import main

from .pdfread import font_report, page_count, page_texts


def write_roster(path: Path, rows: list[list[str]], bom: bool = False) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["name", "exercises", "program", "start", "paper"], *rows])
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def workshop(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    """50 attendees; some rows are wrong in the ways a front desk gets them wrong."""
    rows: list[list[str]] = []
    bad: dict[int, str] = {}
    for i in range(50):
        line = i + 2  # the header is line 1
        row = [f"Runner {i:02d}", "hinge-plate wall-calf-raise" if i % 2 else "", "", "2026-12-01", ""]
        if i == 5:
            row[1], bad[line] = "hinge-plate wall-calf-rise", 'unknown exercise "wall-calf-rise"'
        elif i == 11:
            row[3], bad[line] = "01/12/2026", 'start "01/12/2026" is not a date'
        elif i == 17:
            row[0], bad[line] = "", "no name in this row"
        elif i == 23:
            row[4], bad[line] = "legal", 'paper "legal" is not a paper size'
        elif i == 29:
            row[2], bad[line] = "ankle-loadin", 'unknown program "ankle-loadin" (did you mean "ankle-loading"'
        rows.append(row)
    return write_roster(tmp_path / "workshop.csv", rows), bad


def test_fifty_row_workshop_writes_every_good_row_and_reports_bad_lines(runner, tmp_path, workshop):
    roster, bad = workshop
    out = tmp_path / "handouts"
    result = runner.invoke(main, ["batch", str(roster), "-o", str(out), "--combined", str(tmp_path / "all.pdf"), "--jobs", "2"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith(str(roster))]
    assert len(errors) == len(bad)
    for line, message in bad.items():
        assert any(e.startswith(f"{roster}:{line}: ") and message in e for e in errors), (line, errors)
    assert result.stderr.strip().splitlines()[-1] == "45 written, 5 failed"
    expected = {f"runner-{i:02d}_{'custom' if i % 2 else 'ankle-loading'}_2026-12-01.pdf" for i in range(50) if i + 2 not in bad}
    assert {p.name for p in out.glob("*.pdf")} == expected
    assert sorted(result.stdout.split()) == sorted(str(out / n) for n in expected)
    assert "Runner 07" in page_texts(out / "runner-07_custom_2026-12-01.pdf")[0]
    combined = tmp_path / "all.pdf"
    assert page_count(combined) == 45
    texts = page_texts(combined)
    assert "Runner 00" in texts[0] and "Runner 49" in texts[-1]  # roster order


def test_combined_file_shares_its_fonts(runner, tmp_path, workshop):
    roster, _ = workshop
    out = tmp_path / "handouts"
    runner.invoke(main, ["batch", str(roster), "-o", str(out), "--combined", str(tmp_path / "all.pdf")])
    one = (out / "runner-00_ankle-loading_2026-12-01.pdf").stat().st_size
    combined = (tmp_path / "all.pdf").stat().st_size
    assert combined < one + 45 * 8_000, (one, combined)  # fonts once, then only each page's content
    assert all(font_report(tmp_path / "all.pdf").values())


def test_rerun_skips_what_is_there_and_completes_what_is_missing(runner, tmp_path, workshop):
    roster, _ = workshop
    out = tmp_path / "handouts"
    runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    lost = out / "runner-10_ankle-loading_2026-12-01.pdf"
    lost.unlink()  # as if the run had been interrupted before this one
    kept = out / "runner-00_ankle-loading_2026-12-01.pdf"
    before = kept.stat().st_mtime_ns
    result = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    assert result.stderr.strip().splitlines()[-1] == "1 written, 44 skipped (unchanged), 5 failed"
    assert lost.exists() and kept.stat().st_mtime_ns == before
    assert result.stdout.split() == [str(lost)]
    forced = runner.invoke(main, ["batch", str(roster), "-o", str(out), "--force"])
    assert forced.stderr.strip().splitlines()[-1] == "45 written, 5 failed"


def test_two_patients_with_the_same_name_and_another_plan_get_two_files(runner, tmp_path):
    roster = write_roster(tmp_path / "r.csv", [["Ana Lima", "", "", "2026-12-01", ""], ["Ana Lima", "", "", "2026-12-01", "a4"]])
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "o").glob("*.pdf")) == [
        "ana-lima_ankle-loading_2026-12-01-2.pdf",
        "ana-lima_ankle-loading_2026-12-01.pdf",
    ]
    assert f"{roster}:3: warning: Ana Lima is also on line 2 with another plan" in result.stderr


def test_a_row_that_repeats_an_earlier_one_is_made_once(runner, tmp_path):
    roster = write_roster(
        tmp_path / "r.csv", [["Ana Lima", "", "", "2026-12-01", ""], ["Bo Chen", "", "", "", ""], ["Ana Lima", "", "", "2026-12-01", ""]]
    )
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert len(list((tmp_path / "o").glob("ana-lima*.pdf"))) == 1
    assert f"{roster}:4: warning: same as line 2; made once" in result.stderr


def test_spreadsheet_bom_and_semicolons_are_understood(runner, tmp_path):
    roster = write_roster(tmp_path / "r.csv", [["Zoë O'Brien", "hinge-plate;wall-calf-raise", "", "2026-12-01", "A4"]], bom=True)
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    text = page_texts(tmp_path / "o" / "zoe-obrien_custom_2026-12-01.pdf")[0]
    assert "Zoë O'Brien" in text and "Ankle hinge on a plate" in text and "Wall-lean calf raise" in text


def test_a_quoted_cell_over_two_lines_keeps_line_numbers_true(runner, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text('name,exercises\n"Ana\nLima",hinge-plate\nBo Chen,nope\n', encoding="utf-8")
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "o")])
    assert f'{roster}:4: unknown exercise "nope"' in result.stderr


def test_a_windows_1252_roster_is_read_with_a_warning(runner, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_bytes("name\nAna Lima\nJosé Núñez\n".encode("cp1252"))
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert f"{roster}:3: warning: not UTF-8: read as Windows-1252" in result.stderr
    assert any("jose-nunez" in p.name for p in (tmp_path / "o").glob("*.pdf"))


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_an_interrupted_batch_leaves_only_whole_pdfs_and_the_rerun_completes(tmp_path, how):
    import os
    import signal
    import subprocess
    import sys
    import time

    from pypdf import PdfReader

    rows = 400
    roster = write_roster(tmp_path / "big.csv", [[f"Runner {i:03d}", "", "", "2026-12-01", ""] for i in range(rows)])
    out = tmp_path / "o"
    command = [sys.executable, "-m", "handouts", "batch", str(roster), "-o", str(out), "--jobs", "2"]
    # Ctrl-C as a terminal sends it, even when the tests run as a shell's background job (whose
    # children start with SIGINT ignored, so Python never raises KeyboardInterrupt): a small
    # launcher puts it back to the default before it becomes the batch
    launcher = [
        sys.executable,
        "-c",
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])",
        *command[1:],
    ]
    proc = subprocess.Popen(launcher, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(list(out.glob("*.pdf"))) < 20:
        time.sleep(0.01)
    os.killpg(proc.pid, getattr(signal, how))
    printed, said_bytes = proc.communicate(timeout=20)
    made = list(out.glob("*.pdf"))
    assert 0 < len(made) < rows, "the batch should have been stopped part-way"
    for pdf in made:
        assert len(PdfReader(pdf).pages) == 1, pdf
    rerun = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert len(list(out.glob("*.pdf"))) == rows
    summary = rerun.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"{rows - len(made)} written, ")  # only what was missing is new...
    counts = dict((kind, int(n)) for n, kind in re.findall(r"(\d+) (remade|skipped)", summary))
    assert counts.get("remade", 0) + counts.get("skipped", 0) == len(made)
    if how != "SIGKILL":  # stopped, not killed: it says what it did, and it matches the disk
        assert sorted(printed.decode().split()) == sorted(str(p) for p in made)
        assert counts.get("remade", 0) == 0  # every whole file was noted: the rerun trusts them all
    if how == "SIGINT":
        said = said_bytes.decode()
        assert "Traceback" not in said
        assert "interrupted: every file written is whole; run the same command again to finish" in said
        assert proc.returncode == 130


ROSTER_CELLS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(ROSTER_CELLS, min_size=1, max_size=6), min_size=1, max_size=5))
def test_any_roster_gives_whole_pdfs_or_line_numbered_errors_never_a_traceback(runner, tmp_path_factory, rows):
    out = tmp_path_factory.mktemp("o")
    roster = write_roster(out / "roster.csv", rows)
    result = runner.invoke(main, ["batch", str(roster), "-o", str(out / "pdfs"), "--jobs", "1"])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for line in result.stderr.splitlines()[:-1]:
        assert line.startswith((f"{roster}:", f"{roster}: ")), line
    for pdf in (out / "pdfs").glob("*.pdf") if (out / "pdfs").exists() else []:
        assert page_count(pdf) == 1


def test_an_output_directory_that_cannot_exist_is_one_message(runner, tmp_path):
    roster = write_roster(tmp_path / "r.csv", [["Ana Lima", "", "", "", ""]])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(main, ["batch", str(roster), "-o", str(blocker / "out")])
    assert result.exit_code == 1
    assert "cannot create the output directory" in result.stderr and "Traceback" not in result.output


def test_a_progress_bar_on_a_terminal_and_none_in_a_log_file(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    roster = write_roster(tmp_path / "r.csv", [[f"Runner {i}", "", "", "2026-12-01", ""] for i in range(40)])
    command = [sys.executable, "-m", "handouts", "batch", str(roster), "--jobs", "1", "-o"]
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*command, str(tmp_path / "tty")], stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the batch is done
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=60)
    os.close(leader)
    assert b"handouts" in seen and b"100%" in seen
    quiet = subprocess.run([*command, str(tmp_path / "log")], capture_output=True, check=False)
    assert b"100%" not in quiet.stderr
    assert quiet.stderr.decode().strip() == "40 written, 0 failed"
