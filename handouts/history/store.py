"""What the history asks of a database: run a statement, hold a transaction, say what went wrong.

The queries are written once (history/__init__.py), with `?` for each value; each store
(sqlite.py, postgres.py) opens its kind of database, creates or upgrades the schema, and
turns its driver's errors into a HistoryError a clinician can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from handouts.errors import DataError

SCHEMA_VERSION = 2  # what the tables look like, in either store
# The tables, as SQLite writes them (postgres.py derives its own from these)
SCHEMA = """
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


class HistoryError(DataError):
    """The history cannot be read or written; the handout itself is not affected."""


def shown(place: Path | str) -> str:
    """A history's place as messages name it: never a password, even one typed into a URL by mistake."""
    if isinstance(place, Path):
        return str(place)
    import re

    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", place)


class Store(Protocol):
    errors: tuple[type[Exception], ...]  # what the driver raises, for History to turn into words

    def execute(self, sql: str, args: Sequence[object] = ()) -> Any: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def purge(self) -> None:
        """After a delete: leave no copy of the deleted rows on disk."""

    def error(self, e: Exception) -> Exception: ...

    def close(self) -> None: ...


@contextmanager
def transaction(execute: Callable[[str], object], begin: str = "BEGIN") -> Iterator[None]:
    """Everything inside commits together or not at all (the connections run in autocommit)."""
    execute(begin)
    try:
        yield
    except BaseException:
        execute("ROLLBACK")
        raise
    execute("COMMIT")


def statements(script: str) -> Iterator[str]:
    """A schema script one statement at a time (one transaction around them all, not a script runner's)."""
    for statement in script.split(";"):
        if statement.strip():
            yield statement
