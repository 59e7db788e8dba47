"""The history in a SQLite file: one clinic, one computer (or a folder only one computer writes).

The file is created readable by its owner only. Many processes may write at once (two
batches and a few makes at the front desk): WAL and a busy timeout let them queue
instead of failing. `forget` overwrites what it deletes (secure_delete, then a WAL
checkpoint), so a name is gone from the file itself, not just hidden.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from handouts.history.store import SCHEMA_VERSION, HistoryError, statements

BUSY_MS = 10_000

_SCHEMA = """
CREATE TABLE handouts (
    id INTEGER PRIMARY KEY,
    issued_at TEXT NOT NULL,           -- UTC, ISO 8601
    patient TEXT NOT NULL,             -- as printed
    patient_key TEXT NOT NULL,         -- for finding: case and accents folded
    patient_id TEXT NOT NULL DEFAULT '',
    program_id TEXT NOT NULL,
    program_title TEXT NOT NULL,
    start TEXT NOT NULL,
    paper TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'en',
    note TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    sheet TEXT NOT NULL DEFAULT ''     -- the number in the log's small code (version 2)
);
CREATE INDEX handouts_by_patient ON handouts (patient_key, id);
CREATE INDEX handouts_by_patient_id ON handouts (patient_id, id);
CREATE INDEX handouts_by_sheet ON handouts (sheet, id);
CREATE TABLE doses (
    handout_id INTEGER NOT NULL REFERENCES handouts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    exercise_id TEXT NOT NULL,
    title TEXT NOT NULL,
    sets_low INTEGER NOT NULL, sets_high INTEGER NOT NULL,
    reps_low INTEGER, reps_high INTEGER,
    seconds_low INTEGER, seconds_high INTEGER,
    rpe TEXT NOT NULL,
    per_week INTEGER NOT NULL,
    load TEXT NOT NULL,
    PRIMARY KEY (handout_id, position)
);
CREATE TABLE emails (
    id INTEGER PRIMARY KEY,
    handout_id INTEGER NOT NULL REFERENCES handouts (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    recipient TEXT NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    handout_id INTEGER NOT NULL REFERENCES handouts (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    photo_sha256 TEXT NOT NULL,
    done INTEGER NOT NULL,
    planned INTEGER NOT NULL,
    ticks TEXT NOT NULL,               -- JSON: per row, the days (0-13) ticked and unsure
    UNIQUE (handout_id, photo_sha256)
);
"""
# What each older format needs to become the current one; applied in one transaction.
_UPGRADES = {
    1: ["ALTER TABLE handouts ADD COLUMN sheet TEXT NOT NULL DEFAULT ''", "CREATE INDEX handouts_by_sheet ON handouts (sheet, id)"],
}


class SqliteStore:
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = self._open()

    def execute(self, sql: str, args: Sequence[object] = ()) -> Any:
        return self.db.execute(sql, args)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self.db.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: take the write lock up front, so two writers queue rather than deadlock."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def purge(self) -> None:
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # secure_delete zeroed the pages; this empties the WAL

    def close(self) -> None:
        self.db.close()

    def _open(self) -> sqlite3.Connection:
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # created owner-only before SQLite touches it; its -wal and -shm files follow this mode
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as e:
            raise HistoryError(
                f"{path}: cannot open the history file ({e.strerror or e}); use --history FILE for another place or --no-history"
            ) from None
        try:
            # one History is used by one thread at a time, but the web page may open it in a worker thread
            db = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as e:
            raise self.error(e) from None
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"{path}: this history was written by a newer version of handouts "
                    f"(format {version}; this one reads {SCHEMA_VERSION}); upgrade handouts"
                )
            db.execute("PRAGMA journal_mode = WAL")
            # WAL with NORMAL sync: a commit survives a crash of this program; only a power cut in
            # the same instant can lose the newest record, and the PDF itself is already on disk
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA secure_delete = ON")
            if version < SCHEMA_VERSION:
                db.execute("BEGIN IMMEDIATE")
                try:
                    version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
                    if version == 0:
                        for statement in statements(_SCHEMA):
                            db.execute(statement)
                    else:  # an older history: upgraded in place, every record kept
                        for step in range(version, SCHEMA_VERSION):
                            for statement in _UPGRADES[step]:
                                db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.Error as e:
            db.close()
            raise self.error(e) from None
        except HistoryError:
            db.close()
            raise
        return db

    def error(self, e: Exception) -> HistoryError:
        text = str(e)
        if "locked" in text or "busy" in text:
            return HistoryError(
                f"{self.path}: the history file is busy (another program kept it locked "
                f"for {BUSY_MS // 1000} s); try again, or close the other program"
            )
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return HistoryError(
                f"{self.path}: the history file is damaged and cannot be read; it was left "
                "untouched. Keep it for your records, move it aside to start a new history, "
                "or use --no-history"
            )
        if "readonly" in text or "read-only" in text or "unable to open" in text or "disk" in text:
            return HistoryError(f"{self.path}: the history file cannot be written ({text}); check the disk and the file's permissions")
        return HistoryError(f"{self.path}: the history file could not be used ({text})")
