"""Records a clinic can rely on: every email on file, in the language the sheet was printed in,
and batch reruns that remake only what reaches the page."""

from __future__ import annotations

import sqlite3
from email import message_from_bytes, policy
from pathlib import Path

from handouts.cli import main

from .pdfread import page_texts


def _subject(eml: Path) -> str:
    return str(message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"])


def test_emailing_a_handout_made_earlier_is_noted_against_its_record_in_its_language(runner, tmp_path, history_file):
    made = runner.invoke(main, ["make", "Ana Lima", "bridge", "--lang", "es", "-o", str(tmp_path / "ana.pdf")])
    assert made.exit_code == 0, made.output
    draft = tmp_path / "ana.eml"
    sent = runner.invoke(main, ["email", str(tmp_path / "ana.pdf"), "--to", "ana@example.com", "--eml", str(draft)])
    assert sent.exit_code == 0, sent.output
    assert _subject(draft).startswith("Su plan de ejercicios en casa")  # Spanish, as the sheet was printed
    with sqlite3.connect(history_file) as db:
        emails = db.execute("SELECT recipient, result FROM emails").fetchall()
    assert emails == [("ana@example.com", f"draft written to {draft}")]
    shown = runner.invoke(main, ["history", "Ana Lima", "--text"])
    assert "Emailed to ana@example.com" in shown.stdout


def test_a_file_the_history_never_saw_is_written_in_the_language_it_was_printed_in(runner, tmp_path):
    made = runner.invoke(main, ["make", "Bo Chen", "bridge", "--lang", "ES", "--no-history", "-o", str(tmp_path / "bo.pdf")])
    assert made.exit_code == 0, made.output  # "ES" as typed is Spanish, as "A4" is A4
    draft = tmp_path / "bo.eml"
    assert runner.invoke(main, ["email", str(tmp_path / "bo.pdf"), "--to", "bo@example.com", "--eml", str(draft)]).exit_code == 0
    assert _subject(draft).startswith("Su plan")
    told = tmp_path / "bo-en.eml"
    args = ["email", str(tmp_path / "bo.pdf"), "--to", "bo@example.com", "--eml", str(told), "--lang", "en"]
    assert runner.invoke(main, args).exit_code == 0
    assert _subject(told).startswith("Your home exercise plan")  # unless told otherwise


def test_a_batch_rerun_with_only_the_mail_settings_changed_remakes_nothing(runner, tmp_path, library):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises\nAna Lima,bridge\nBo Chen,clamshell\nCy Diaz,bird-dog\n", encoding="utf-8")
    out = tmp_path / "workshop"
    clinic = library / "clinic.toml"
    first = runner.invoke(main, ["batch", str(roster), "-o", str(out), "--clinic", str(clinic)])
    assert first.exit_code == 0 and first.stderr.strip().endswith("3 written, 0 failed")
    moved = tmp_path / "elsewhere.toml"
    moved.write_text(clinic.read_text() + '\n[email]\nhost = "smtp.example.com"\nsender = "desk@example.com"\n', encoding="utf-8")
    again = runner.invoke(main, ["batch", str(roster), "-o", str(out), "--clinic", str(moved)])
    assert again.exit_code == 0
    assert again.stderr.strip().endswith("0 written, 3 skipped (unchanged), 0 failed")


def test_a_batch_in_spanish_by_option_with_a_row_that_says_otherwise(runner, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises,lang\nAna Lima,bridge,\nBo Chen,bridge,en\n", encoding="utf-8")
    done = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "w"), "--lang", "ES"])
    assert done.exit_code == 0, done.output
    ana, bo = (Path(p) for p in done.stdout.split())
    assert "Registro de dos semanas" in page_texts(ana.read_bytes())[0]
    assert "Two-week log" in page_texts(bo.read_bytes())[0]


def test_a_rerun_remakes_a_file_overwritten_since_instead_of_trusting_its_name(runner, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises\nAna Lima,bridge\nBo Chen,clamshell\n", encoding="utf-8")
    out = tmp_path / "workshop"
    first = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    ana, bo = (Path(p) for p in first.stdout.split())
    good = ana.read_bytes()
    ana.write_bytes(b"garbage from a sync tool")
    again = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    assert again.stderr.strip().endswith("0 written, 1 remade (changed), 1 skipped (unchanged), 0 failed")
    assert ana.read_bytes()[:5] == b"%PDF-" and len(ana.read_bytes()) > len(good) // 2
    assert "Bo Chen" in page_texts(bo.read_bytes())[0]


def test_the_clinical_summary_of_a_spanish_sheet_is_in_the_clinicians_language(runner, tmp_path):
    made = runner.invoke(main, ["make", "Ana Lima", "bridge:3x10", "--lang", "es", "-o", str(tmp_path / "ana.pdf")])
    assert made.exit_code == 0, made.output
    assert "Puente" in page_texts((tmp_path / "ana.pdf").read_bytes())[0]  # the patient reads Spanish...
    summary = runner.invoke(main, ["history", "Ana Lima", "--text"]).stdout
    assert "1. Bridge: 3 sets of 10 reps" in summary and "Puente" not in summary  # ...the chart reads English
    assert ": Your home exercises." in summary and "Sus ejercicios" not in summary
    listed = runner.invoke(main, ["history"]).stdout
    assert "Your home exercises" in listed and "Sus ejercicios" not in listed


def test_a_reader_that_stops_early_is_no_error(tmp_path, history_file):
    import os
    import subprocess
    import sys

    from handouts.compose import compose
    from handouts.history import History
    from handouts.library.load import load_clinic, load_library
    from handouts.models import Issue

    library, clinic = load_library(), load_clinic()
    with History(history_file) as history:  # enough lines to fill the pipe after the reader has gone
        history.record([Issue(compose(library, clinic, f"Patient {i}", ("bridge",)), tmp_path / f"{i}.pdf", "0" * 64) for i in range(3000)])
    env = {**os.environ, "HANDOUTS_HISTORY": str(history_file)}
    process = subprocess.Popen(
        [sys.executable, "-m", "handouts", "history", "--limit", "3000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # `handouts history | head -1`
    process.stdout.close()
    assert b"Patient 2999" in first
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""


def test_a_log_that_would_run_past_the_calendar_is_refused_per_row(runner, tmp_path):
    result = runner.invoke(main, ["make", "Ana Lima", "bridge", "--start", "9999-12-25"])
    assert result.exit_code == 2 and "past the calendar's last day" in result.stderr and "Traceback" not in result.output
    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises,start\nAna Lima,bridge,9999-12-25\nBo Chen,bridge,2026-12-01\n", encoding="utf-8")
    done = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "w")])
    assert done.exit_code == 1
    assert "roster.csv:2:" in done.stderr and "past the calendar" in done.stderr
    assert done.stderr.strip().endswith("1 written, 1 failed")


def test_forget_also_clears_the_batch_ledger_and_the_sent_log_beside_the_files(runner, tmp_path, history_file, library):
    import stat

    from .smtpserver import smtp_server
    from .test_email import clinic_with

    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises\nAna Lima,bridge\nBo Chen,clamshell\n", encoding="utf-8")
    out = tmp_path / "workshop"
    assert runner.invoke(main, ["batch", str(roster), "-o", str(out)]).exit_code == 0
    ana = next(out.glob("ana-lima*.pdf"))
    with smtp_server() as (port, inbox):
        clinic = clinic_with(library, port)
        sent_ok = runner.invoke(main, ["email", str(ana), "--to", "ana@example.com", "--clinic", str(clinic)])
    assert sent_ok.exit_code == 0, sent_ok.output
    assert len(inbox.messages) == 1
    ledger, sent = out / ".handouts-batch.sqlite3", out / "sent-log.csv"
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600 and stat.S_IMODE(sent.stat().st_mode) == 0o600
    assert b"ana-lima" in ledger.read_bytes() and "ana@example.com" in sent.read_text()
    gone = runner.invoke(main, ["history", "--forget", "Ana Lima", "--yes"])
    assert gone.exit_code == 0 and "forgot 1 handout record" in gone.stderr
    assert b"ana-lima" not in ledger.read_bytes() and b"bo-chen" in ledger.read_bytes()
    assert "ana@example.com" not in sent.read_text() and "ana-lima" not in sent.read_text()


def test_a_photo_that_is_not_what_its_name_says_is_refused_and_the_others_still_read(runner, tmp_path):
    import pytest

    pytest.importorskip("cv2", reason="needs the scan extra")
    fake = tmp_path / "fake.heic"
    fake.write_text("not a photo at all")
    png = tmp_path / "one.png"
    from PIL import Image

    Image.new("RGB", (400, 300), (200, 200, 200)).save(png)
    result = runner.invoke(main, ["scan", str(fake), str(png), "--no-history"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "fake.heic:" in result.stderr and "one.png:" in result.stderr  # both answered, one after the other


def test_a_changed_row_gets_a_new_file_and_the_one_an_earlier_record_points_to_stays(runner, tmp_path, history_file):
    import hashlib

    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises\nAna Lima,bridge:3x10\nBo Chen,clamshell\n", encoding="utf-8")
    out = tmp_path / "workshop"
    first = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    ana = Path(first.stdout.split()[0])
    given = ana.read_bytes()
    roster.write_text("name,exercises\nAna Lima,bridge:2x12\nBo Chen,clamshell\n", encoding="utf-8")  # the therapist changed her dose
    again = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    assert again.stderr.strip().endswith("0 written, 1 remade (changed), 1 skipped (unchanged), 0 failed")
    remade = Path(again.stdout.strip())
    assert remade == ana.with_name(ana.stem + "_v2.pdf")
    assert ana.read_bytes() == given  # what she was handed the first time is still there, unchanged
    assert "2 sets of 12" in " ".join(page_texts(remade.read_bytes())[0].split())
    with sqlite3.connect(history_file) as db:
        files = dict(db.execute("SELECT path, sha256 FROM handouts").fetchall())
    for path in (ana, remade):  # each record points to a file that still has the bytes it was given with
        assert files[str(path)] == hashlib.sha256(path.read_bytes()).hexdigest()
    third = runner.invoke(main, ["batch", str(roster), "-o", str(out)])
    assert third.stderr.strip().endswith("0 written, 2 skipped (unchanged), 0 failed")  # the new file is the one checked
    assert sorted(p.name for p in out.glob("ana-lima*.pdf")) == [ana.name, remade.name]


def _a_ledger_that_fills_the_disk(monkeypatch, after: int) -> None:
    """The ledger's database refuses writes once the disk fills (SQLite's own error), after `after` handouts."""
    import handouts.ledger as ledger_module

    real = ledger_module.Ledger.__init__

    class FullDisk:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db, self.inserts = db, 0

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if sql.startswith("INSERT OR REPLACE INTO made") or sql == "COMMIT":
                self.inserts += sql.startswith("INSERT")
                if self.inserts > after or sql == "COMMIT":
                    raise sqlite3.OperationalError("database or disk is full")
            return self.db.execute(sql, *args)

        def close(self) -> None:
            self.db.close()

    def init(self, directory: Path) -> None:
        real(self, directory)
        self.db = FullDisk(self.db)

    monkeypatch.setattr(ledger_module.Ledger, "__init__", init)


def test_a_ledger_that_cannot_be_saved_is_explained_and_the_summary_stays_last(runner, tmp_path, monkeypatch):
    roster = tmp_path / "roster.csv"
    roster.write_text("name\n" + "".join(f"Runner {i}\n" for i in range(4)), encoding="utf-8")
    _a_ledger_that_fills_the_disk(monkeypatch, after=2)
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out"), "--jobs", "1", "--no-history"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.stdout.split()) == 4  # every handout was written, and listed
    lines = result.stderr.strip().splitlines()
    assert "list of finished handouts could not be saved (the disk is full)" in result.stderr
    assert "will make them again" in result.stderr
    assert lines[-1] == "4 written, 0 failed"


def test_a_full_disk_in_a_batch_with_a_combined_file_ends_with_the_summary(runner, tmp_path):
    import subprocess

    import pytest

    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(small)], capture_output=True, check=False).returncode:
        pytest.skip("needs root to mount a small disk")
    try:
        roster = tmp_path / "roster.csv"
        roster.write_text("name\n" + "".join(f"Runner {i}\n" for i in range(20)), encoding="utf-8")
        out = small / "out"
        args = ["batch", str(roster), "-o", str(out), "--combined", str(small / "all.pdf"), "--jobs", "1", "--no-history"]
        result = runner.invoke(main, args)
        assert result.exit_code == 1 and "Traceback" not in result.output
        written = result.stdout.split()
        assert 0 < len(written) < 20 and all(Path(p).read_bytes().startswith(b"%PDF-") for p in written)
        assert sorted(str(p) for p in out.glob("*.pdf")) == sorted(written)  # listed = what is on disk, nothing half-made
        assert "the disk is full" in result.stderr
        assert "the combined print file was not written" in result.stderr and not (small / "all.pdf").exists()
        assert result.stderr.strip().splitlines()[-1] == f"{len(written)} written, {20 - len(written)} failed"
    finally:
        subprocess.run(["umount", str(small)], check=False)
