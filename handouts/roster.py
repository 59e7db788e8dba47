"""Reading a workshop roster as spreadsheets really export it, into rows with their line numbers.

Front desks export from Excel, Numbers, LibreOffice and Google Sheets: commas or
semicolons or tabs, UTF-8 with or without a byte-order mark, UTF-16 ("Unicode text"),
Windows-1252 ("CSV" on Windows), or .xlsx itself; headers such as "Patient Name",
"E-mail" or a first and a last name apart; extra columns like "Phone". All of that is
read; what cannot be is reported by line (or row) and the rest still goes out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from handouts.compose import PAPERS
from handouts.errors import DataError

MAX_UNPACKED = 200 * 2**20  # a 100,000-row roster unpacks to about 20 MB
MAX_CELLS = 5_000_000  # 100,000 rows of 50 columns

# Headers as spreadsheets name them, compared with case, spaces, "_" and "-" alike
ALIASES = {
    "name": ("name", "patient", "patient name", "full name", "client", "client name", "attendee", "attendee name"),
    "first": ("first name", "firstname", "given name", "forename", "first"),
    "last": ("last name", "lastname", "surname", "family name", "last"),
    "email": ("email", "e mail", "email address", "e mail address", "mail"),
    "exercises": ("exercises", "exercise", "exercise ids"),
    "program": ("program", "programme", "program id"),
    "start": ("start", "start date", "log start"),
    "paper": ("paper", "paper size"),
    "note": ("note", "notes", "note to patient"),
    "patient_id": ("patient id", "patientid", "mrn", "chart", "chart number", "patient number"),
    "lang": ("lang", "language"),
}
_COLUMN_OF = {alias: column for column, aliases in ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class RosterRow:
    line: int  # where the row starts in the file, for error messages
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


def iter_roster(path: Path, warnings: list[Failure] | None = None) -> Iterator[RosterRow | Failure]:
    """Row by row, as the file is read: a good row, or the reason its line could not be used."""
    warnings = warnings if warnings is not None else []
    if path.suffix.lower() == ".xlsx":
        return _read_rows(path, _xlsx_rows(path), warnings)
    return _read_rows(path, _csv_rows(_decode(path, warnings)), warnings)


def separator(header_line: str) -> str:
    """Comma, semicolon (Excel where the decimal mark is a comma) or tab ("Unicode text"), by the header."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {sep: outside.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


MAX_CELL = 10_000  # characters: a name, a note and a list of ids are far shorter
MAX_ROW_LINES = 3  # a quoted cell may hold a line break or two; a stray quote must not swallow the file


def _csv_rows(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """(line where the row starts, its cells), or (line, why that row could not be read).

    Rows are read one line at a time, so one broken row (a stray quote, a NUL, a huge
    cell) is reported as that row and reading resumes at the next line: every other
    good row is still made.
    """
    source = io.StringIO(text, newline="")
    first = source.readline()
    delimiter = separator(first)
    source.seek(0)
    pushed: deque[tuple[int, str]] = deque()  # lines read ahead for a quoted cell, given back on a stray quote
    number = 0

    def next_line() -> tuple[int, str] | None:
        nonlocal number
        if pushed:
            return pushed.popleft()
        line = source.readline()
        if not line:
            return None
        number += 1
        return number, line

    while (item := next_line()) is not None:
        start, chunk = item
        taken: list[tuple[int, str]] = []
        while chunk.count('"') % 2 and len(taken) < MAX_ROW_LINES - 1:
            more = next_line()
            if more is None:
                break
            taken.append(more)
            chunk += more[1]  # a quoted cell that goes on over a line break
        if chunk.count('"') % 2:
            yield start, 'a stray quote (") leaves a cell open; remove it or close the quote'
            pushed.extendleft(reversed(taken))
            continue
        if "\x00" in chunk:
            yield start, "this row holds a NUL character (a damaged export); type it again"
            continue
        try:
            cells = next(
                csv.reader(
                    [chunk.rstrip("\r\n")] if "\n" not in chunk.rstrip("\r\n") else io.StringIO(chunk, newline=""), delimiter=delimiter
                ),
                [],
            )
        except csv.Error as e:
            yield start, f"unreadable CSV: {e}"
            continue
        if any(len(cell) > MAX_CELL for cell in cells):
            yield start, f"a cell of more than {MAX_CELL:,} characters; is this the right column?"
            continue
        yield start, cells


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str] | str]]:
    """The first sheet, row by row, every value as the text a spreadsheet shows (dates as YYYY-MM-DD)."""
    from openpyxl import load_workbook  # only for spreadsheets: start-up time of everything else

    check_spreadsheet(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # a damaged or disguised file: openpyxl raises many kinds
        raise DataError(
            f"{path}: not a readable .xlsx spreadsheet ({type(e).__name__}); save it again from your spreadsheet, or export it as CSV"
        ) from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        book.close()


def check_spreadsheet(path: Path) -> None:
    """A spreadsheet is a zip: refuse one that unpacks to far more than a roster could hold (a
    "zip bomb", 1 MB unpacking to 1 GB), before openpyxl reads a byte of it."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(info.file_size for info in z.infolist())
            sheet = next((n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")), None)
            head = z.open(sheet).read(4096).decode("utf-8", "replace") if sheet else ""
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError):
        return  # not a zip at all: openpyxl says what is wrong
    if unpacked > MAX_UNPACKED:
        raise DataError(
            f"{path}: this spreadsheet unpacks to {unpacked // 2**20:,} MB, far more than a roster; "
            "save just the attendee list, or export it as CSV"
        )
    cells = _dimension_cells(head)
    if cells > MAX_CELLS:
        raise DataError(f"{path}: this spreadsheet's first sheet has {cells:,} cells, far more than a roster; export just the list")


def spreadsheet_rows(path: Path) -> int:
    """Data rows of the first sheet as its <dimension> says (a progress bar's length, a limit's check)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            sheet = next((n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")), None)
            head = z.open(sheet).read(4096).decode("utf-8", "replace") if sheet else ""
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError):
        return 0
    found = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+(\d+)(?::[A-Z]+(\d+))?"', head)
    return max(0, int(found[2] or found[1]) - int(found[1])) if found else 0


def _dimension_cells(head: str) -> int:
    """Cells in the sheet's <dimension ref="A1:H2000"/>, or 0 when it does not say."""
    found = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+(\d+):([A-Z]+)(\d+)"', head)
    if not found:
        return 0
    first, column, last = int(found[1]), found[2], int(found[3])
    width = 0
    for letter in column:
        width = width * 26 + ord(letter) - 64
    return width * (last - first + 1)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_rows(path: Path, source: Iterator[tuple[int, list[str] | str]], warnings: list[Failure]) -> Iterator[RosterRow | Failure]:
    try:
        first = next(source, None)
    except csv.Error as e:
        raise DataError(f"{path}:1: {e}") from None
    if first is None:
        raise DataError(f'{path}: the roster is empty (expected a header row with at least a "name" column)')
    if isinstance(first[1], str):
        raise DataError(f"{path}:1: {first[1]}")
    header = first[1]
    columns = [_COLUMN_OF.get(normalized(h)) or "" for h in header]
    found = [h.strip() for h in header if h.strip()]
    ignored = [h.strip() for h, c in zip(header, columns, strict=True) if h.strip() and not c]
    if "name" not in columns and not ("first" in columns and "last" in columns):
        raise DataError(
            f'{path}:1: no "name" column (expected "name", "patient name", or "first name" and '
            f'"last name"); the columns found are: {", ".join(found) or "none"}'
        )
    if ignored:
        warnings.append(
            Failure(1, f"ignored column{'s' if len(ignored) > 1 else ''} {', '.join(repr(c) for c in ignored)} (not used on a handout)")
        )
    for row_line, cells in source:
        if isinstance(cells, str):
            yield Failure(row_line, cells)
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            yield Failure(row_line, f"{len(cells)} cells but the header has {len(columns)} columns")
            continue
        values = {col: cell.strip() for col, cell in zip(columns, cells, strict=False) if col}
        if not values.get("name") and (values.get("first") or values.get("last")):
            values["name"] = " ".join(v for v in (values.get("first", ""), values.get("last", "")) if v)
        try:
            yield _row(row_line, values)
        except ValueError as e:
            yield Failure(row_line, str(e))


def normalized(header: str) -> str:
    """'Patient_Name', 'patient-name' and ' PATIENT  NAME ' are one column."""
    return " ".join(re.sub(r"[_\-]+", " ", header.replace("\ufeff", "")).lower().split())


def _decode(path: Path, warnings: list[Failure]) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: roster not found") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read the roster ({e.strerror})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16 with a byte-order mark
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{path}: starts like UTF-16 text but is not; save it again as CSV UTF-8") from None
    try:
        return data.decode("utf-8-sig")  # spreadsheets often start UTF-8 files with a BOM
    except UnicodeDecodeError:
        pass
    # Decided line by line: a roster pasted together from two exports can mix UTF-8 rows with
    # Windows-1252 ones (Excel's plain "CSV" on Windows), and each must read as it was written.
    lines, converted = [], []
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            continue
        except UnicodeDecodeError as e:
            bad = raw[e.start]
        try:
            lines.append(raw.decode("cp1252"))
        except UnicodeDecodeError:
            raise DataError(
                f'{path}:{number}: not UTF-8 text (byte 0x{bad:02x}); save the roster as "CSV UTF-8" from your spreadsheet'
            ) from None
        converted.append(number)
    for number in converted:
        warnings.append(
            Failure(
                number,
                'not UTF-8: read as Windows-1252 (Excel\'s plain "CSV" on Windows); check the accented names on this row, '
                'or save as "CSV UTF-8" next time',
            )
        )
    return "".join(lines)


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
    return RosterRow(
        line,
        name,
        exercises,
        v.get("program") or None,
        start,
        paper,
        v.get("email", ""),
        v.get("note", ""),
        v.get("patient_id", ""),
        v.get("lang", "").lower(),
    )
