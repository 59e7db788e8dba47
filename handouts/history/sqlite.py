"""The history in a SQLite file: one clinic, one computer (or a folder only one computer writes).

The file is created readable by its owner only. Many processes may write at once (two
batches and a few makes at the front desk): WAL and a busy timeout let them queue
instead of failing. `forget` overwrites what it deletes (secure_delete, then a WAL
checkpoint), so a name is gone from the file itself, not just hidden.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from handouts.history.store import SCHEMA, SCHEMA_VERSION, HistoryError, statements, transaction

BUSY_MS = 10_000
PURGE_WAIT_S = 5.0  # how long forget waits for another reader to let go


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

    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN IMMEDIATE: take the write lock up front, so two writers queue rather than deadlock."""
        return transaction(self.db.execute, "BEGIN IMMEDIATE")

    def purge(self) -> None:
        """secure_delete zeroed the pages; a checkpoint copies them into the file and empties the WAL.
        A reader still open elsewhere (the web page, a batch) holds the old copy until it lets go: wait
        for it a few seconds, then say so rather than report a name gone that is still on disk."""
        deadline = time.monotonic() + PURGE_WAIT_S
        while True:
            busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            if time.monotonic() > deadline:
                raise HistoryError(
                    f"{self.path}: the records were deleted, but another program still has the history open, so "
                    "the deleted text stays in its journal file until that program closes (the web page, a batch); "
                    "it is wiped then, by the last program to close the history"
                )
            time.sleep(0.1)

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
                with transaction(db.execute, "BEGIN IMMEDIATE"):
                    version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
                    if version == 0:
                        for statement in statements(SCHEMA):
                            db.execute(statement)
                    else:  # an older history: upgraded in place, every record kept
                        for step in range(version, SCHEMA_VERSION):
                            for statement in _UPGRADES[step]:
                                db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
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
