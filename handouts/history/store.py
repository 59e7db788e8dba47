"""What the history asks of a database: run a statement, hold a transaction, say what went wrong.

The queries are written once (history/__init__.py), with `?` for each value; each store
(sqlite.py, postgres.py) opens its kind of database, creates or upgrades the schema, and
turns its driver's errors into a HistoryError a clinician can act on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from handouts.errors import DataError

SCHEMA_VERSION = 2  # what the tables look like, in either store


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


def statements(script: str) -> Iterator[str]:
    """A schema script one statement at a time (one transaction around them all, not a script runner's)."""
    for statement in script.split(";"):
        if statement.strip():
            yield statement
