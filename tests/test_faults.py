"""A full disk, a Ctrl-C, a flaky mail server or one broken row never costs a row, a file, a password or an inbox."""

from __future__ import annotations

import asyncio
import csv
import errno
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from handouts.cli import main

from .smtpserver import free_port


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- the disk -----------------------------------------------------------------------


def fail_fsync(monkeypatch: pytest.MonkeyPatch, code: int, after: int = 0) -> None:
    real = os.fsync
    calls = {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(code, os.strerror(code))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize(
    ("code", "words"), [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"), (errno.EIO, "read or write error")]
)
def test_a_failing_disk_is_a_message_and_leaves_nothing_half_written(runner, tmp_path, monkeypatch, code, words):
    fail_fsync(monkeypatch, code)
    result = runner.invoke(main, ["make", "Ana Lima", "-o", str(tmp_path / "out"), "--no-history"])
    assert result.exit_code == 1
    no_traceback(result)
    assert words in result.output and "nothing was written" in result.output
    assert list((tmp_path / "out").iterdir()) == []  # not even a hidden temporary file


def test_a_batch_that_fills_the_disk_lists_what_it_wrote_and_sums_up(runner, tmp_path, monkeypatch):
    roster = tmp_path / "r.csv"
    roster.write_text("name\n" + "".join(f"Runner {i}\n" for i in range(6)), encoding="utf-8")
    fail_fsync(monkeypatch, errno.ENOSPC, after=3)
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out"), "--jobs", "1", "--no-history"])
    assert result.exit_code == 1
    no_traceback(result)
    assert len(result.stdout.split()) == 3  # the three written before the disk filled are listed...
    assert "the disk is full" in result.stderr
    assert "3 written" in result.stderr.strip().splitlines()[-1]  # ...and the summary is still the last line


def test_init_on_a_full_disk_leaves_no_empty_file_to_block_a_rerun(runner, tmp_path, monkeypatch):
    fail_fsync(monkeypatch, errno.ENOSPC, after=1)
    result = runner.invoke(main, ["init", str(tmp_path / "clinic")])
    assert result.exit_code == 1 and "the disk is full" in result.output
    assert all(p.stat().st_size > 0 for p in (tmp_path / "clinic").iterdir())
    monkeypatch.undo()
    again = runner.invoke(main, ["init", str(tmp_path / "clinic2")])
    assert again.exit_code == 0


def test_a_name_too_long_for_the_disk_is_a_message(runner, tmp_path):
    result = runner.invoke(main, ["make", "Ana Lima", "-o", str(tmp_path / ("x" * 300 + ".pdf")), "--no-history"])
    assert result.exit_code == 1
    no_traceback(result)
    assert "too long" in result.output


# -- interrupts -----------------------------------------------------------------------


def batch_process(tmp_path: Path, rows: int = 600) -> tuple[subprocess.Popen[bytes], Path]:
    roster = tmp_path / "big.csv"
    roster.write_text("name\n" + "".join(f"Runner {i:04d}\n" for i in range(rows)), encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "HANDOUTS_HISTORY": str(tmp_path / "h.sqlite3")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "handouts", "batch", str(roster), "-o", str(out), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(out.glob("*.pdf"))) < 40:
        time.sleep(0.01)
    return proc, out


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_a_batch_promptly_with_its_report_and_exit_143(tmp_path):
    proc, out = batch_process(tmp_path)
    workers = children_of(proc.pid)
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)
    assert time.monotonic() - started < 2
    said = proc.stderr.read().decode()
    assert proc.returncode == 143, said
    assert "Traceback" not in said
    assert "run the same command again to finish" in said
    time.sleep(0.5)
    assert not [w for w in workers if alive(w)]
    from pypdf import PdfReader

    for pdf in out.glob("*.pdf"):
        assert len(PdfReader(pdf).pages) == 1


def test_workers_die_with_a_parent_that_is_killed_outright(tmp_path):
    proc, _ = batch_process(tmp_path)
    workers = children_of(proc.pid)
    assert workers, "the batch should run worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and [w for w in workers if alive(w)]:
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)], "orphaned workers kept running"


def test_sigterm_during_a_single_make_exits_143_without_a_traceback(tmp_path):
    script = (
        "import os, signal, handouts.render.pdf as p\n"
        "real = p.render\n"
        "def slow(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(*a, **k)\n"
        "p.render = slow\n"
        "import handouts.pipeline as pl; pl.render = slow\n"
        "from handouts.cli import main; main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "make", "Ana Lima", "-o", str(tmp_path / "o"), "--no-history"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 143, result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "o").glob("*")) if (tmp_path / "o").exists() else True


# -- the mail server -----------------------------------------------------------------


class Faulty:
    """An SMTP server that misbehaves on purpose after the message arrives."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        if self.how == "drop":
            server.transport.close()  # the message is here; the answer never leaves
            return "250 OK"
        if self.how == "stall":
            await asyncio.sleep(30)
        if self.how == "451":
            return "451 4.3.0 try again later"
        return "250 OK"


@contextmanager
def faulty_server(how: str) -> Iterator[tuple[int, Faulty]]:
    handler = Faulty(how)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def mail_clinic(library: Path, port: int, extra: str = "") -> Path:
    clinic = library / "clinic.toml"
    clinic.write_text(
        clinic.read_text().replace(
            "\n[rpe_legend]",
            (f'\n[email]\nhost = "localhost"\nport = {port}\nsecurity = "none"\nsender = "desk@zenith.example"\n{extra}\n[rpe_legend]'),
        )
    )
    return clinic


def email(runner, pdf: Path, clinic: Path, *args: str):
    return runner.invoke(main, ["email", str(pdf), "--to", "zoe@example.com", "--clinic", str(clinic), *args])


@pytest.fixture
def pdf(runner, tmp_path) -> Path:
    result = runner.invoke(main, ["make", "Zoë O'Brien", "-o", str(tmp_path / "out"), "--no-history"])
    return Path(result.stdout.strip())


def test_a_message_whose_answer_was_lost_is_logged_unknown_and_not_sent_twice(runner, library, pdf):
    with faulty_server("drop") as (port, handler):
        clinic = mail_clinic(library, port)
        first = email(runner, pdf, clinic)
        assert first.exit_code == 1
        assert "may have been delivered" in first.stderr
        log = list(csv.DictReader((pdf.parent / "sent-log.csv").open()))
        assert log[-1]["result"].startswith("unknown")
        again = email(runner, pdf, clinic)
        assert again.exit_code == 1 and "already sent" in again.stderr
        assert handler.received == 1


def test_a_stalled_server_is_given_up_on_at_the_deadline(runner, library, pdf):
    with faulty_server("stall") as (port, _):
        clinic = mail_clinic(library, port, "timeout = 2\n")
        started = time.monotonic()
        result = email(runner, pdf, clinic)
        assert time.monotonic() - started < 6
    assert result.exit_code == 1
    assert "time limit" in result.stderr or "no answer" in result.stderr


def test_a_temporary_refusal_says_so_and_is_not_logged_as_sent(runner, library, pdf):
    with faulty_server("451") as (port, _):
        clinic = mail_clinic(library, port)
        result = email(runner, pdf, clinic)
    assert result.exit_code == 1
    assert "did not accept the message (451" in result.stderr
    assert list(csv.DictReader((pdf.parent / "sent-log.csv").open()))[-1]["result"].startswith("failed")


def test_each_pdf_password_is_kept_owner_only_before_the_message_leaves(runner, library, pdf):
    with faulty_server("drop") as (port, _):
        clinic = mail_clinic(library, port)
        result = email(runner, pdf, clinic, "--pdf-password")
    assert result.exit_code == 1  # the answer was lost...
    kept = pdf.parent / "pdf-passwords.csv"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    (row,) = list(csv.DictReader(kept.open()))
    assert row["recipient"] == "zoe@example.com" and len(row["password"]) == 14  # ...the password was not


def test_a_stray_brace_in_the_email_template_is_found_by_check(runner, library):
    clinic = mail_clinic(library, free_port(), 'subject = "Your plan {from {clinic}"\n')
    result = runner.invoke(main, ["check", "--clinic", str(clinic)])
    assert result.exit_code == 1
    line = next(n for n, row in enumerate(clinic.read_text().splitlines(), 1) if row.startswith("subject ="))
    assert f'{clinic}:{line}: "subject" has a stray' in result.output


def test_a_placeholder_cannot_reach_into_the_program(runner, library, pdf, tmp_path):
    clinic = mail_clinic(library, free_port(), 'subject = "Plan from {clinic.upper} {clinic}"\n')
    result = runner.invoke(main, ["email", str(pdf), "--to", "zoe@example.com", "--clinic", str(clinic), "--eml", str(tmp_path / "d.eml")])
    assert result.exit_code == 0, result.output
    message = message_from_bytes((tmp_path / "d.eml").read_bytes(), policy=policy.default)
    assert message["Subject"] == "Plan from {clinic.upper} Zenith Performance Physical Therapy"


def test_a_password_with_accents_is_explained(runner, library, pdf):
    from .smtpserver import USER, smtp_server

    with smtp_server(login=True) as (port, _):
        clinic = mail_clinic(library, port, f'username = "{USER}"\n')
        result = runner.invoke(
            main, ["email", str(pdf), "--to", "zoe@example.com", "--clinic", str(clinic)], env={"HANDOUTS_SMTP_PASSWORD": "contraseña"}
        )
    assert result.exit_code == 1
    no_traceback(result)
    assert "only plain ASCII works" in result.stderr


# -- rosters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ('Ana "Lima,bridge', "stray quote"),
        ("Bo\x00Chen,bridge", "NUL character"),
        ("Cy " + "x" * 20_000 + ",bridge", "more than 10,000 characters"),
    ],
)
def test_one_broken_row_in_the_middle_costs_only_that_row(runner, tmp_path, bad, words):
    rows = [f"Runner {i:03d},bridge" for i in range(300)]
    rows[9] = bad  # line 11 of the file
    roster = tmp_path / "r.csv"
    roster.write_text("name,exercises\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out"), "--no-history"])
    assert result.exit_code == 1
    assert f"{roster}:11: " in result.stderr and words in result.stderr
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 299
    assert result.stderr.strip().splitlines()[-1] == "299 written, 1 failed"


def test_hidden_temporary_files_of_a_killed_run_are_cleaned_by_the_next(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale, fresh = out / ".abc123.part", out / ".def456.part"
    stale.write_bytes(b"%PDF-1.4 half")
    fresh.write_bytes(b"%PDF-1.4 another run, still writing")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    result = runner.invoke(main, ["make", "Ana Lima", "-o", str(out), "--no-history"])
    assert result.exit_code == 0
    assert not stale.exists() and fresh.exists()


def test_a_server_that_trickles_its_greeting_is_given_up_on_at_the_deadline(runner, library, pdf):
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            for byte in b"220 slow.example ESMTP hello\r\n":  # one byte every 2 s: every read succeeds, the greeting never ends
                if stop.wait(2):
                    return
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    try:
        started = time.monotonic()
        result = email(runner, pdf, mail_clinic(library, listener.getsockname()[1], "timeout = 3"))
        took = time.monotonic() - started
    finally:
        stop.set()
        listener.close()
    assert result.exit_code == 1 and took < 8, took
    assert "the whole exchange went past its time limit" in result.stderr and "nothing was sent" in result.stderr


def test_ctrl_c_while_the_server_holds_the_message_stops_at_once_and_it_is_never_sent_twice(library, pdf, tmp_path):
    with faulty_server("stall") as (port, handler):
        clinic = mail_clinic(library, port)
        command = [sys.executable, "-m", "handouts", "email", str(pdf), "--to", "zoe@example.com", "--clinic", str(clinic)]
        # started with SIGINT at its default, as from a terminal (a background test run starts children ignoring it)
        at_default = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.executable, sys.argv[1:])"
        process = subprocess.Popen([sys.executable, "-c", at_default, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while handler.received == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handler.received == 1  # the message is in; the server's answer is stalled
        time.sleep(0.3)
        stopped = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 130
        assert time.monotonic() - stopped < 2
        log = list(csv.DictReader((pdf.parent / "sent-log.csv").open(encoding="utf-8")))
        assert [r["result"] for r in log] == ["unknown: stopped while the server had the message"]
        again = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert again.returncode == 1 and "already sent" in again.stderr
    assert handler.received == 1  # never a second copy
