"""A batch folder's ledger: what each file was made from, and this run's bookkeeping, on disk.

A rerun must know which rows changed, and a run must notice repeated rows and repeated
names; for a roster of 100,000 rows those tables would hold most of the memory a batch
uses. In SQLite beside the PDFs (and in temporary tables on disk) they cost a fixed few
megabytes however long the roster, and survive a killed run up to its last commit.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

from handouts.errors import DataError
from handouts.output import holds

FILE = ".handouts-batch.sqlite3"
COMMIT_EVERY_S = 2.0


class Ledger:
    def __init__(self, directory: Path) -> None:
        from handouts.output import why

        self.path = directory / FILE
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # file names hold patients' names: created readable by this user only, like the history
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA temp_store = FILE")  # this run's tables on disk, not in memory
            self.db.execute("PRAGMA cache_size = -2000")  # about 2 MB, whatever the roster
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS made (name TEXT PRIMARY KEY, fp TEXT NOT NULL, sha256 TEXT NOT NULL DEFAULT '',"
                " file TEXT NOT NULL DEFAULT '')"
            )
            columns = [row[1] for row in self.db.execute("PRAGMA table_info(made)")]
            if "sha256" not in columns:  # a ledger from before files were checked: their hashes come with the next write
                self.db.execute("ALTER TABLE made ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''")
            if "file" not in columns:  # a ledger from before remade handouts got a name of their own
                self.db.execute("ALTER TABLE made ADD COLUMN file TEXT NOT NULL DEFAULT ''")
            self.db.execute("CREATE TEMP TABLE seen (fp TEXT PRIMARY KEY, line INTEGER NOT NULL)")
            self.db.execute("CREATE TEMP TABLE taken (name TEXT PRIMARY KEY, count INTEGER NOT NULL, first INTEGER NOT NULL)")
            self.db.execute("BEGIN")
        except OSError as e:
            raise DataError(f"{directory}: cannot create the output directory ({why(e)})") from None
        except sqlite3.Error as e:
            raise DataError(
                f"{self.path}: the batch ledger cannot be used ({e}); delete it to start afresh (the next run then remakes every handout)"
            ) from None
        self.committed = time.monotonic()
        self.problem = ""  # why the ledger could not be saved, for the batch's summary

    def state(self, path: Path, fp: str) -> tuple[str, Path]:
        """What a rerun finds for the row planned as `path`, made from `fp`, and the file that now holds
        it (the planned name, or the newer name a remade handout was given). The state is
        "new" (no file), "unchanged" (made from this same row, and still the very file written then),
        "changed" (a whole file made from another version of the row: kept, since a record points to
        it), "damaged" (overwritten, cut short or replaced since: never trusted by its name, and no
        longer what its record points to) or "unnoted" (a run killed before noting it; nothing was
        recorded either, as the ledger is saved before the history)."""
        try:
            row = self.db.execute("SELECT fp, sha256, file FROM made WHERE name = ?", (path.name,)).fetchone()
        except sqlite3.Error:
            return ("changed" if path.exists() else "new"), path
        current = path.with_name(str(row[2])) if row and row[2] else path
        if not current.exists():
            return ("changed" if path.exists() else "new"), current  # a newer version deleted by hand: the first one stays
        if row is None:
            return "unnoted", current
        if row[1] and not holds(current, str(row[1])):
            return "damaged", current
        # a row noted before files were checked is trusted once, checked from its next write on
        return ("unchanged" if row[0] == fp else "changed"), current

    def note(self, name: str, fp: str, sha256: str = "", file: str = "") -> None:
        """The file planned as `name` (written as `file`, when that differs) is now made from `fp` and has
        these bytes; committed every few seconds, so a long run stays quick."""
        try:
            self.db.execute("INSERT OR REPLACE INTO made VALUES (?, ?, ?, ?)", (name, fp, sha256, "" if file == name else file))
        except sqlite3.Error as e:
            self._failed(e)
            return
        if time.monotonic() - self.committed >= COMMIT_EVERY_S:
            self.commit()

    def _failed(self, e: sqlite3.Error) -> None:
        """The handouts are written and recorded whatever happens here; only the next run's shortcut is lost."""
        if not self.problem:
            cause = "the disk is full" if "full" in str(e) else str(e)
            self.problem = (
                f"{self.path}: the batch's list of finished handouts could not be saved ({cause}); the handouts written"
                " are whole, but the next run will make them again instead of skipping them"
            )

    def seen_before(self, fp: str, line: int) -> int | None:
        """The line an identical row was first on, or None (and this line is remembered)."""
        row = self.db.execute("SELECT line FROM seen WHERE fp = ?", (fp,)).fetchone()
        if row:
            return int(row[0])
        self.db.execute("INSERT INTO seen VALUES (?, ?)", (fp, line))
        return None

    def number(self, name: str, line: int) -> tuple[int, int]:
        """How many rows before this one gave this file name, and the first one's line."""
        row = self.db.execute("SELECT count, first FROM taken WHERE name = ?", (name,)).fetchone()
        count, first = (int(row[0]), int(row[1])) if row else (0, line)
        self.db.execute("INSERT OR REPLACE INTO taken VALUES (?, ?, ?)", (name, count + 1, first))
        return count, first

    def commit(self) -> None:
        try:  # a ledger not saved only means the next run remakes more
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
        except sqlite3.Error as e:
            self._failed(e)
        self.committed = time.monotonic()

    def close(self) -> None:
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as e:
            self._failed(e)
        with contextlib.suppress(sqlite3.Error):
            self.db.close()


def forget_files(directory: Path, names: set[str]) -> int:
    """`history --forget`: a batch folder's ledger forgets these files (their names hold the patient's),
    overwriting what it deletes; returns how many rows went."""
    path = directory / FILE
    if not path.is_file():
        return 0
    try:
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA secure_delete = ON")
            gone = sum(db.execute("DELETE FROM made WHERE name = ? OR file = ?", (name, name)).rowcount for name in names)
            db.execute("VACUUM")
        finally:
            db.close()
    except sqlite3.Error as e:
        raise DataError(f"{path}: the batch ledger could not forget the files ({e}); delete it (the next run remakes more)") from None
    return max(gone, 0)
