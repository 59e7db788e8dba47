"""Reading a workshop roster (CSV from any spreadsheet) into rows with their line numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from handouts.compose import PAPERS
from handouts.errors import DataError
from handouts.library import suggest

COLUMNS = ("name", "exercises", "program", "start", "paper", "email", "note", "patient_id", "lang")


@dataclass(frozen=True)
class RosterRow:
    line: int                     # where the row starts in the file, for error messages
    name: str
    exercises: tuple[str, ...]
    program: str | None
    start: dt.date | None
    paper: str
    email: str
    note: str = ""
    patient_id: str = ""
    lang: str = ""


@dataclass(frozen=True)
class Failure:
    line: int
    message: str


def read_roster(path: Path) -> tuple[list[RosterRow], list[Failure]]:
    """Good rows and per-line failures; a file that cannot be read at all raises DataError."""
    text = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path}: the roster is empty (expected a header row with at least a \"name\" column)") from None
    except csv.Error as e:
        raise DataError(f"{path}:1: {e}") from None
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c and c not in COLUMNS]
    if unknown:
        raise DataError(f'{path}:1: unknown column "{unknown[0]}"{suggest(unknown[0], COLUMNS)} '
                        f"(expected {', '.join(COLUMNS)})")
    if "name" not in columns:
        raise DataError(f'{path}:1: no "name" column (expected a header row like: name,exercises,start)')
    rows: list[RosterRow] = []
    failures: list[Failure] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            failures.append(Failure(line, f"unreadable CSV: {e}"))
            break
        row_line, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            failures.append(Failure(row_line, f"{len(cells)} cells but the header has {len(columns)} columns"))
            continue
        values = {col: cell.strip() for col, cell in zip(columns, cells, strict=False) if col}
        try:
            rows.append(_row(row_line, values))
        except ValueError as e:
            failures.append(Failure(row_line, str(e)))
    return rows, failures


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: roster not found") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read the roster ({e.strerror})") from None
    try:
        return data.decode("utf-8-sig")  # spreadsheets often start UTF-8 files with a BOM
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
                        "save the roster as \"CSV UTF-8\" from your spreadsheet") from None


def _row(line: int, v: dict[str, str]) -> RosterRow:
    name = " ".join(v.get("name", "").split())
    if not name:
        raise ValueError("no name in this row")
    start: dt.date | None = None
    if v.get("start"):
        try:
            start = dt.date.fromisoformat(v["start"])
        except ValueError:
            raise ValueError(f'start "{v["start"]}" is not a date (expected YYYY-MM-DD)') from None
    paper = (v.get("paper") or "letter").lower()
    if paper not in PAPERS:
        raise ValueError(f'paper "{v["paper"]}" is not a paper size (expected letter or a4)')
    exercises = tuple(e for e in re.split(r"[\s;,]+", v.get("exercises", "")) if e)
    return RosterRow(line, name, exercises, v.get("program") or None, start, paper, v.get("email", ""),
                     v.get("note", ""), v.get("patient_id", ""), v.get("lang", "").lower())
