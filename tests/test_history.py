"""What each patient was given is remembered: the follow-up visit starts from the last plan."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from click.testing import CliRunner

from handouts.cli import main

from .pdfread import page_texts


def invoke(runner: CliRunner, *args: str, ok: bool = True, stdin: str | None = None):
    result = runner.invoke(main, list(args), input=stdin)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_a_visit_a_reissue_a_week_later_and_the_summary_for_the_note(runner, tmp_path, history_file, fixed_date):
    # the evaluation: two doses changed and a note
    first = invoke(
        runner,
        "make",
        "Zoë O'Brien",
        "wall-calf-raise:3x8-10@8/2w",
        "hinge-plate:2x30s@7",
        "hinge-tall-toes",
        "--note",
        "Left ankle only.",
        "--patient-id",
        "Z-1042",
        "-o",
        str(tmp_path),
    )
    first_pdf = Path(first.stdout.strip())
    assert first.stdout.count("\n") == 1  # stdout is still only the path: no patient data leaks there
    assert stat.S_IMODE(history_file.stat().st_mode) == 0o600

    # a week later: one exercise progressed, one taken off, the note carried over
    again = invoke(runner, "again", "zoe o'brien", "wall-calf-raise:4x8-10@9", "-hinge-plate", "--start", "2026-12-02", "-o", str(tmp_path))
    second_pdf = Path(again.stdout.strip())
    assert second_pdf != first_pdf and first_pdf.is_file()
    text = page_texts(second_pdf)[0]
    assert "4 sets of 8–10 reps · RPE 9 · 2× a week" in text  # progressed, frequency kept from the first visit
    assert "Ankle hinge on a plate" not in text
    assert "Ankle hinge, high on the toes" in text
    assert "Left ankle only." in text
    assert "2 3 4 5 6 7 8 9 10 11 12 13 14 15" in text  # the new log starts on the new date

    summary = invoke(runner, "history", "Z-1042", "--text").stdout
    assert summary.startswith("Home exercise program given ")
    assert "Zoë O'Brien (ID Z-1042)" in summary
    assert "1. Wall-lean calf raise: 4 sets of 8–10 reps, RPE 9, 2× a week." in summary
    assert "2. Ankle hinge, high on the toes: 45–60 seconds, 1–2 times, RPE 7+, daily." in summary
    assert "Note to patient: Left ankle only." in summary
    assert "Two-week log from 2026-12-02 to 2026-12-15." in summary
    assert str(second_pdf.resolve()) in summary

    listing = invoke(runner, "history").stdout.splitlines()
    assert len(listing) == 2 and str(second_pdf.resolve()) in listing[0]  # latest first

    full = invoke(runner, "history", "Zoë O'Brien").stdout
    assert full.count("Home exercise program given") == 2
    assert "30 seconds, 2 times, RPE 7, daily" in full  # the first visit's doses, as printed


def test_the_record_holds_the_pdfs_checksum_and_every_printed_dose(runner, tmp_path, history_file, fixed_date):
    import hashlib

    out = Path(invoke(runner, "make", "Ana Lima", "wall-calf-raise:2x12", "-o", str(tmp_path)).stdout.strip())
    db = sqlite3.connect(history_file)
    ((path, sha, start, paper),) = db.execute("SELECT path, sha256, start, paper FROM handouts").fetchall()
    assert path == str(out.resolve()) and sha == hashlib.sha256(out.read_bytes()).hexdigest()
    assert (start, paper) == ("2026-11-25", "letter")
    assert db.execute("SELECT exercise_id, sets_low, reps_low, rpe, per_week FROM doses").fetchall() == [
        ("wall-calf-raise", 2, 12, "8–9", 2)
    ]
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_again_for_an_unknown_patient_names_the_closest(runner, tmp_path):
    invoke(runner, "make", "Mary-Kate Ní Bhriain", "-o", str(tmp_path))
    result = invoke(runner, "again", "Mary-Kate Ni Brian", ok=False)
    assert result.exit_code == 2
    assert 'no handouts recorded for "Mary-Kate Ni Brian" (did you mean "Mary-Kate Ní Bhriain"?)' in result.output
    assert len(list(tmp_path.glob("*.pdf"))) == 1


def test_again_refuses_a_bad_change_and_writes_nothing(runner, tmp_path):
    invoke(runner, "make", "Ana Lima", "-o", str(tmp_path))
    for change, code, words in (
        ("wall-calf-raise:3x", 2, '"wall-calf-raise:3x"'),
        ("-squat-jumps", 2, "squat-jumps is not on Ana Lima's plan"),
    ):
        result = invoke(runner, "again", "Ana Lima", change, "-o", str(tmp_path), ok=False)
        assert result.exit_code == code and words in result.output
    assert len(list(tmp_path.glob("*.pdf"))) == 1


def test_no_history_records_nothing(runner, tmp_path, history_file):
    invoke(runner, "make", "Ana Lima", "--no-history", "-o", str(tmp_path))
    assert not history_file.exists()


def test_a_batch_records_every_row_with_its_note_and_patient_id(runner, tmp_path, history_file):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,exercises,note,patient_id\n"
        "Ana Lima,wall-calf-raise:3x12@8 hinge-plate,Slowly.,A-1\n"
        "Kenji Watanabe,,,K-2\n"
        "Bad Row,wall-calf-raise:3x,,\n",
        encoding="utf-8",
    )
    result = invoke(runner, "batch", str(roster), "-o", str(tmp_path / "out"), ok=False)
    assert result.exit_code == 1 and 'roster.csv:4: dose "wall-calf-raise:3x"' in result.output
    db = sqlite3.connect(history_file)
    rows = db.execute("SELECT patient, patient_id, note FROM handouts ORDER BY patient").fetchall()
    assert rows == [("Ana Lima", "A-1", "Slowly."), ("Kenji Watanabe", "K-2", "")]
    assert db.execute(
        "SELECT sets_low, reps_low, rpe FROM doses JOIN handouts ON handouts.id = handout_id "
        "WHERE exercise_id = 'wall-calf-raise' AND patient = 'Ana Lima'"
    ).fetchall() == [(3, 12, "8")]
    rerun = invoke(runner, "batch", str(roster), "-o", str(tmp_path / "out"), ok=False)
    assert "2 skipped" in rerun.output
    assert db.execute("SELECT count(*) FROM handouts").fetchone()[0] == 2  # skipped files are not recorded twice


def test_a_damaged_history_never_costs_the_handout_and_is_left_as_it_was(runner, tmp_path, history_file):
    history_file.parent.mkdir(parents=True)
    history_file.write_bytes(b"this is the clinic's only copy, not a database" * 100)
    before = history_file.read_bytes()
    result = invoke(runner, "make", "Ana Lima", "-o", str(tmp_path), ok=False)
    assert result.exit_code == 1
    pdf = Path(result.stdout.strip())
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    assert "the history file is damaged" in result.stderr and "was written but not recorded" in result.stderr
    assert "Traceback" not in result.output
    assert history_file.read_bytes() == before
    listing = invoke(runner, "history", ok=False)
    assert listing.exit_code == 1 and "damaged" in listing.output


def test_a_history_that_cannot_be_created_still_gives_the_pdf(runner, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the history's folder should be")
    result = invoke(runner, "make", "Ana Lima", "-o", str(tmp_path / "out"), "--history", str(blocker / "h.sqlite3"), ok=False)
    assert result.exit_code == 1
    assert Path(result.stdout.strip()).is_file()
    assert "cannot open the history file" in result.stderr


def test_forget_deletes_every_trace_after_asking(runner, tmp_path, history_file):
    invoke(runner, "make", "Kenji Watanabe", "--note", "Kenji's private note", "-o", str(tmp_path))
    invoke(runner, "make", "Ana Lima", "-o", str(tmp_path))
    declined = invoke(runner, "history", "--forget", "Kenji Watanabe", stdin="n\n", ok=False)
    assert declined.exit_code == 1
    assert "Kenji" in invoke(runner, "history").stdout
    invoke(runner, "history", "--forget", "kenji watanabe", "--yes")
    assert "Kenji" not in invoke(runner, "history").stdout
    assert "Ana Lima" in invoke(runner, "history").stdout
    raw = b"".join(p.read_bytes() for p in history_file.parent.iterdir())
    assert b"Kenji" not in raw and b"private note" not in raw  # overwritten, not just unlinked


def test_ten_makes_and_two_batches_at_once_record_every_handout_exactly_once(tmp_path, history_file):
    roster = tmp_path / "roster.csv"
    roster.write_text("name\n" + "".join(f"Runner {i:02d}\n" for i in range(40)), encoding="utf-8")
    env = {**os.environ, "HANDOUTS_HISTORY": str(history_file)}
    cli = [sys.executable, "-m", "handouts"]
    commands = [[*cli, "make", f"Walker {i}", "-o", str(tmp_path / "makes")] for i in range(10)]
    commands += [[*cli, "batch", str(roster), "-o", str(tmp_path / f"batch{b}"), "--jobs", "2"] for b in range(2)]

    def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = list(pool.map(run, commands))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    db = sqlite3.connect(history_file)
    assert db.execute("SELECT count(*) FROM handouts").fetchone()[0] == 10 + 2 * 40
    assert db.execute("SELECT count(DISTINCT path) FROM handouts").fetchone()[0] == 90
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_forget_while_another_program_reads_the_history_says_what_is_left(runner, tmp_path, history_file):
    invoke(runner, "make", "Kenji Watanabe", "--note", "Kenji's private note", "-o", str(tmp_path))
    invoke(runner, "make", "Ana Lima", "-o", str(tmp_path))
    reader = sqlite3.connect(history_file, isolation_level=None)  # the web page, in the middle of a request
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM handouts").fetchone()[0] == 2
    held = invoke(runner, "history", "--forget", "Kenji Watanabe", "--yes", ok=False)
    assert held.exit_code == 1
    assert "another program still has the history open" in held.stderr and "wiped then" in held.stderr
    reader.execute("COMMIT")
    reader.close()
    assert "Kenji" not in invoke(runner, "history").stdout  # the records are gone either way
    raw = b"".join(p.read_bytes() for p in history_file.parent.iterdir())  # the last to close checkpointed the journal
    assert b"Kenji" not in raw and b"private note" not in raw
