"""A clinic group shares one history in PostgreSQL: the same commands, the same answers, by URL.

A real PostgreSQL server is started for these tests (tests/pgserver.py: initdb into a
temporary directory, a free port on 127.0.0.1, a scram-sha-256 password). The commands
run as separate processes, as the north and the south site would, with the password in
PGPASSWORD and the URL in HANDOUTS_HISTORY.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from . import pgserver

pytestmark = [
    pytest.mark.skipif(pgserver.bin_dir() is None, reason="needs Debian's postgresql server (apt-get install postgresql)"),
    pytest.mark.xdist_group("test_postgres"),  # one server for the whole file
]
psycopg = pytest.importorskip("psycopg", reason="needs the postgres extra: pip install '.[postgres]'")


@pytest.fixture(scope="module")
def server() -> Iterator[pgserver.PgServer]:
    with pgserver.running() as s:
        yield s


@pytest.fixture
def group(server: pgserver.PgServer, request: pytest.FixtureRequest) -> str:
    """A fresh database for each test: the group's one history."""
    name = re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:50]
    return server.create_database(name)


def handouts(
    *args: str, history: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "HANDOUTS_HISTORY": history, **(env if env is not None else {"PGPASSWORD": pgserver.PASSWORD})}
    return subprocess.run(
        [sys.executable, "-m", "handouts", *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=timeout, check=False
    )


def count(url: str, sql: str = "SELECT count(*) FROM handouts") -> int:
    with psycopg.connect(url, password=pgserver.PASSWORD) as db:
        return int(db.execute(sql).fetchone()[0])


def test_north_makes_south_reissues_and_both_read_the_same_history(group, tmp_path):
    north, south = tmp_path / "north", tmp_path / "south"
    north.mkdir()
    south.mkdir()
    made = handouts("make", "Zoë O'Brien", "wall-calf-raise:3x8@8/2w", "hinge-plate", "--patient-id", "Z-1", history=group, cwd=north)
    assert made.returncode == 0, made.stderr
    assert Path(north / made.stdout.strip()).is_file()
    again = handouts("again", "zoe o'brien", "wall-calf-raise:4x8", history=group, cwd=south)
    assert again.returncode == 0, again.stderr
    listed = handouts("history", history=group, cwd=south)
    assert listed.returncode == 0 and listed.stdout.count("Zoë O'Brien") == 2
    text = handouts("history", "Z-1", "--text", history=group, cwd=north)
    assert "4 sets of 8 reps" in text.stdout and "Wall-lean calf raise" in text.stdout
    assert count(group) == 2 and count(group, "SELECT count(*) FROM doses") == 4
    assert pgserver.PASSWORD not in listed.stdout + listed.stderr + text.stdout + text.stderr


def test_the_same_records_and_answers_from_postgresql_and_sqlite(group, tmp_path):
    def story(history: str, cwd: Path) -> list[str]:
        cwd.mkdir()
        out = []
        for args in (
            ["make", "Ana Lima", "bridge:3x10@7", "clamshell", "--note", "Slowly.", "--start", "2026-12-01"],
            ["make", "Bo Chen", "--program", "ankle-hinges", "--start", "2026-12-01", "--lang", "es"],
            ["again", "Ana Lima", "-clamshell", "bird-dog", "--start", "2026-12-15"],
        ):
            assert handouts(*args, history=history, cwd=cwd).returncode == 0
        for name in ("Ana Lima", "Bo Chen"):
            shown = handouts("history", name, history=history, cwd=cwd).stdout.replace(str(cwd), "SITE")
            out.append(re.sub(r"given \d{4}-\d{2}-\d{2}", "given", shown))
        return out

    assert story(group, tmp_path / "group") == story(str(tmp_path / "history.sqlite3"), tmp_path / "one")


def test_makes_and_a_batch_at_once_from_several_machines_record_each_handout_exactly_once(group, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises\n" + "".join(f"Attendee {i},bridge\n" for i in range(40)), encoding="utf-8")

    def make(i: int) -> int:
        site = tmp_path / f"site{i % 3}"
        site.mkdir(exist_ok=True)
        return handouts("make", f"Walk-in {i}", "wall-calf-raise", history=group, cwd=site).returncode

    with ThreadPoolExecutor(6) as pool:
        batch = pool.submit(handouts, "batch", str(roster), "-o", str(tmp_path / "workshop"), "--jobs", "2", history=group, cwd=tmp_path)
        codes = list(pool.map(make, range(10)))
        assert batch.result().returncode == 0, batch.result().stderr
    assert codes == [0] * 10
    assert count(group) == 50
    assert count(group, "SELECT count(DISTINCT patient) FROM handouts") == 50


def test_forget_deletes_the_patient_for_good(server, group, tmp_path):
    for name in ("Ana Lima", "Ana Lima", "Bo Chen"):
        assert handouts("make", name, "bridge", history=group, cwd=tmp_path).returncode == 0
    gone = handouts("history", "--forget", "ana lima", "--yes", history=group, cwd=tmp_path)
    assert gone.returncode == 0 and "forgot 2" in gone.stderr
    assert count(group, "SELECT count(*) FROM handouts WHERE patient = 'Ana Lima'") == 0
    assert count(group, "SELECT count(*) FROM doses") == 1
    with psycopg.connect(group, password=pgserver.PASSWORD, autocommit=True) as db:
        db.execute("CHECKPOINT")  # every page on disk, and the files the rewrite replaced removed
        oid = db.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    pages = b"".join(p.read_bytes() for p in (server.data / "base" / str(oid)).iterdir() if p.is_file())
    assert b"Bo Chen" in pages  # the files are the right ones...
    assert b"Ana Lima" not in pages and b"ana lima" not in pages  # ...and the name is in none of them, tables or indexes


def test_a_wrong_password_is_one_line_and_the_pdf_is_still_written(group, tmp_path):
    started = time.monotonic()
    result = handouts("make", "Ana Lima", "bridge", history=group, cwd=tmp_path, env={"PGPASSWORD": "not the password"})
    assert result.returncode == 1 and time.monotonic() - started < 10
    assert "refused the password" in result.stderr and "PGPASSWORD" in result.stderr
    assert "Traceback" not in result.stderr and "not the password" not in result.stderr
    assert Path(tmp_path / result.stdout.strip()).is_file()  # the patient still gets the sheet


def test_a_stopped_or_silent_server_is_one_line_within_seconds(server, group, tmp_path):
    with socket.socket() as silent:  # accepts, then never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        url = f"postgresql://clinic@127.0.0.1:{silent.getsockname()[1]}/handouts"
        started = time.monotonic()
        result = handouts("make", "Ana Lima", "bridge", history=url, cwd=tmp_path)
        assert result.returncode == 1 and time.monotonic() - started < 15
        assert "did not answer within 5 s" in result.stderr and Path(tmp_path / result.stdout.strip()).is_file()
    pgserver.stop(server)
    try:
        result = handouts("make", "Bo Chen", "bridge", history=group, cwd=tmp_path)
        assert result.returncode == 1 and "cannot be reached" in result.stderr and "Traceback" not in result.stderr
        assert Path(tmp_path / result.stdout.strip()).is_file()
    finally:
        pgserver.start(server)
    assert handouts("make", "Bo Chen", "bridge", history=group, cwd=tmp_path).returncode == 0


def test_a_url_that_is_not_postgresql_or_holds_a_password_is_refused_and_never_a_file(server, tmp_path):
    for place in ("mysql://clinic@127.0.0.1/handouts", "postgresql:handouts"):
        result = handouts("make", "Ana Lima", "bridge", history=place, cwd=tmp_path)
        assert result.returncode == 2 and "not one handouts can use" in result.stderr
    with_password = f"postgresql://clinic:{pgserver.PASSWORD.replace(' ', '%20')}@127.0.0.1:{server.port}/handouts"
    result = handouts("history", history=with_password, cwd=tmp_path)
    assert result.returncode == 1 and "PGPASSWORD or ~/.pgpass" in result.stderr
    assert "secret" not in result.stderr and "***" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no file named "mysql:" or "postgresql:handouts"


def test_the_web_page_records_into_the_group_history(group, tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from handouts.web.app import create_app
    from handouts.web.settings import Settings

    monkeypatch.setenv("PGPASSWORD", pgserver.PASSWORD)
    client = TestClient(create_app(Settings(history_file=group, output=tmp_path / "out")), base_url="http://127.0.0.1")
    token = re.search(r'<meta name="csrf" content="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
    plan = {"patient": "Web Patient", "exercises": [{"id": "bridge"}], "paper": "letter"}
    done = client.post("/api/handout", json=plan, headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and done.json()["warning"] == ""
    assert count(group, "SELECT count(*) FROM handouts WHERE patient = 'Web Patient'") == 1
    found = client.post("/api/patients", json={"q": "web"}, headers={"X-CSRF-Token": token}).json()
    assert [r["patient"] for r in found] == ["Web Patient"]
    threading.Event().wait(0)  # nothing left running
