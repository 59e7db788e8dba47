"""What each patient was given: a local SQLite file of handouts, doses, emails and scans.

Patient records are health data, so the file is created readable by its owner only,
nothing here prints, and `forget` overwrites what it deletes. Many processes may write
at once (two batches and a few makes at the front desk): WAL and a busy timeout let
them queue instead of failing. A file this version cannot read is reported, never
repaired or replaced, because it may be the clinic's only record.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from handouts.errors import DataError, UsageError
from handouts.models import Dose, Issue
from handouts.sheet import LOG_DAYS
from handouts.tally import Row, percent
from handouts.wording import dose_summary

SCHEMA_VERSION = 2
BUSY_MS = 10_000
FILE_NAME = "history.sqlite3"

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


class HistoryError(DataError):
    """The history cannot be read or written; the handout itself is not affected."""


def patient_key(name: str) -> str:
    """'Zoë O'Brien', 'zoe o'brien' and 'ZOE  O’BRIEN' find the same patient."""
    folded = unicodedata.normalize("NFKD", name.replace("\u2019", "'")).casefold()
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


class PrintedDose(NamedTuple):
    """One exercise as it was printed for this patient: enough to print it again."""

    exercise_id: str
    title: str
    dose: Dose


class Scan(NamedTuple):
    """A returned log read from a photo: sessions done against the plan, and each row's days."""

    at: str
    done: int
    planned: int
    ticked: tuple[tuple[int, ...], ...]  # per exercise row, the days (0-13) ticked
    unsure: tuple[tuple[int, ...], ...]  # ...and those the photo could not settle


class Record(NamedTuple):  # NamedTuple, not a dataclass: a third of the import time
    id: int
    issued_at: str
    patient: str
    patient_id: str
    program_id: str
    program_title: str
    start: dt.date
    paper: str
    lang: str
    note: str
    path: str
    sha256: str
    doses: tuple[PrintedDose, ...]
    emails: tuple[tuple[str, str, str], ...] = ()  # (at, recipient, result)
    adherence: tuple[Scan, ...] = ()
    sheet: str = ""


class History:
    """One history file; open it per command, it closes with the `with` block."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> History:
        return self  # opened on first use, so a damaged file never stops the PDF before it

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._open()
        return self._db

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
            raise self._error(e) from None
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
                with _transaction(db):
                    version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
                    if version == 0:
                        for statement in _SCHEMA.split(";"):  # executescript would commit half-way
                            if statement.strip():
                                db.execute(statement)
                    else:  # an older history: upgraded in place, every record kept
                        for step in range(version, SCHEMA_VERSION):
                            for statement in _UPGRADES[step]:
                                db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as e:
            db.close()
            raise self._error(e) from None
        except HistoryError:
            db.close()
            raise
        return db

    def _error(self, e: sqlite3.Error) -> HistoryError:
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

    # -- writing ---------------------------------------------------------------

    def record(self, issues: Iterable[Issue]) -> list[int]:
        """Record handouts whose PDFs are in place, in one transaction; returns their ids."""
        now = _now()
        ids: list[int] = []
        try:
            with _transaction(self.db):
                for issue in issues:
                    h = issue.handout
                    cur = self.db.execute(
                        "INSERT INTO handouts (issued_at, patient, patient_key, patient_id, program_id, "
                        "program_title, start, paper, lang, note, path, sha256, sheet) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            now,
                            h.patient,
                            patient_key(h.patient),
                            h.patient_id,
                            h.program_id,
                            h.program_title,
                            h.start.isoformat(),
                            h.paper,
                            h.lang,
                            h.note,
                            str(issue.path.resolve()),
                            issue.sha256,
                            h.sheet_number,
                        ),
                    )
                    handout_id = int(cur.lastrowid or 0)
                    self.db.executemany(
                        "INSERT INTO doses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [
                            (
                                handout_id,
                                n,
                                ex.id,
                                ex.title,
                                *ex.dose.sets,
                                *(ex.dose.reps or (None, None)),
                                *(ex.dose.seconds or (None, None)),
                                ex.dose.rpe,
                                ex.dose.per_week,
                                ex.dose.load,
                            )
                            for n, ex in enumerate(h.exercises)
                        ],
                    )
                    ids.append(handout_id)
        except sqlite3.Error as e:
            raise self._error(e) from None
        return ids

    def record_email(self, handout_id: int, recipient: str, result: str) -> None:
        try:
            with _transaction(self.db):
                self.db.execute(
                    "INSERT INTO emails (handout_id, at, recipient, result) VALUES (?,?,?,?)", (handout_id, _now(), recipient, result)
                )
        except sqlite3.Error as e:
            raise self._error(e) from None

    def record_scan(
        self, sheet: str, photo_sha256: str, done: int, planned: int, ticked: list[list[int]], unsure: list[list[int]]
    ) -> tuple[Record | None, bool]:
        """Record a read log against the latest handout with its sheet number.

        Returns that handout (None when this history never saw the sheet) and whether the
        scan was new: the same photo read again is recorded once.
        """
        import json

        try:
            with _transaction(self.db):
                row = self.db.execute("SELECT id FROM handouts WHERE sheet = ? ORDER BY id DESC LIMIT 1", (sheet,)).fetchone()
                if row is None:
                    return None, False
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO scans (handout_id, at, photo_sha256, done, planned, ticks) VALUES (?,?,?,?,?,?)",
                    (row[0], _now(), photo_sha256, done, planned, json.dumps({"ticked": ticked, "unsure": unsure})),
                )
                new = cur.rowcount == 1
        except sqlite3.Error as e:
            raise self._error(e) from None
        return self.get(int(row[0])), new

    def forget(self, records: list[Record]) -> int:
        """Delete a patient's records; secure_delete and a checkpoint leave no copy in the file."""
        try:
            with _transaction(self.db):
                self.db.executemany("DELETE FROM handouts WHERE id = ?", [(r.id,) for r in records])
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as e:
            raise self._error(e) from None
        return len(records)

    # -- reading ---------------------------------------------------------------

    def latest(self, limit: int = 20, search: str = "") -> list[Record]:
        """The latest handouts, newest first; `search` matches part of a name or a patient id."""
        like = f"%{patient_key(search)}%"
        return self._records("WHERE patient_key LIKE ? OR patient_id LIKE ? ORDER BY id DESC LIMIT ?", (like, f"%{search}%", limit))

    def patient(self, who: str) -> list[Record]:
        """Every handout of one patient (by name or patient id), newest first.

        An unknown patient is a usage mistake: it names the closest patients recorded.
        """
        records = self._records(
            "WHERE patient_key = ? OR (patient_id != '' AND patient_id = ?) ORDER BY id DESC", (patient_key(who), who.strip())
        )
        if records:
            return records
        names = [str(row[0]) for row in self._query("SELECT DISTINCT patient FROM handouts", ())]
        keys = {patient_key(n): n for n in names}
        wanted = patient_key(who)
        close = [keys[k] for k in difflib.get_close_matches(wanted, list(keys), n=3, cutoff=0.6)]
        close += [n for k, n in sorted(keys.items()) if wanted and wanted in k and n not in close][: 5 - len(close)]
        hint = (" (did you mean " + " or ".join(f'"{c}"' for c in close) + "?)") if close else ""
        raise UsageError(f'no handouts recorded for "{who}"{hint}; `handouts history` lists the latest')

    def get(self, record_id: int) -> Record | None:
        found = self._records("WHERE id = ?", (record_id,))
        return found[0] if found else None

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise self._error(e) from None

    def _records(self, where: str, args: tuple[object, ...]) -> list[Record]:
        rows = self._query(
            "SELECT id, issued_at, patient, patient_id, program_id, program_title, start, paper, lang, note, "
            f"path, sha256, sheet FROM handouts {where}",
            args,
        )
        return [self._record(row) for row in rows]

    def _record(self, row: tuple[object, ...]) -> Record:
        handout_id = int(str(row[0]))
        doses = tuple(
            PrintedDose(
                str(d[0]),
                str(d[1]),
                Dose(
                    sets=(int(str(d[2])), int(str(d[3]))),
                    reps=(int(str(d[4])), int(str(d[5]))) if d[4] is not None else None,
                    seconds=(int(str(d[6])), int(str(d[7]))) if d[6] is not None else None,
                    rpe=str(d[8]),
                    per_week=int(str(d[9])),
                    load=str(d[10]),
                ),
            )
            for d in self._query(
                "SELECT exercise_id, title, sets_low, sets_high, reps_low, reps_high, seconds_low, seconds_high, "
                "rpe, per_week, load FROM doses WHERE handout_id = ? ORDER BY position",
                (handout_id,),
            )
        )
        emails = tuple(
            (str(a), str(b), str(c))
            for a, b, c in self._query("SELECT at, recipient, result FROM emails WHERE handout_id = ? ORDER BY id", (handout_id,))
        )
        scans = tuple(
            _scan(*r) for r in self._query("SELECT at, done, planned, ticks FROM scans WHERE handout_id = ? ORDER BY id", (handout_id,))
        )
        return Record(
            handout_id,
            str(row[1]),
            str(row[2]),
            str(row[3]),
            str(row[4]),
            str(row[5]),
            dt.date.fromisoformat(str(row[6])),
            str(row[7]),
            str(row[8]),
            str(row[9]),
            str(row[10]),
            str(row[11]),
            doses,
            emails,
            scans,
            str(row[12]),
        )


def _scan(at: object, done: object, planned: object, ticks: object) -> Scan:
    import json

    try:
        days = json.loads(str(ticks))
        ticked = tuple(tuple(int(d) for d in row) for row in days["ticked"])
        unsure = tuple(tuple(int(d) for d in row) for row in days["unsure"])
    except (ValueError, KeyError, TypeError):  # a hand-edited row: the totals still stand
        ticked = unsure = ()
    return Scan(str(at), int(str(done)), int(str(planned)), ticked, unsure)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE: take the write lock up front, so two writers queue rather than deadlock."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def summary_text(record: Record) -> str:
    """The paste-ready summary of one handout, for the clinical note."""
    issued = record.issued_at[:10]
    who = record.patient + (f" (ID {record.patient_id})" if record.patient_id else "")
    end = record.start + dt.timedelta(days=LOG_DAYS - 1)
    lines = [
        f"Home exercise program given {issued} to {who}: {record.program_title}.",
        f"Two-week log from {record.start.isoformat()} to {end.isoformat()}.",
    ]
    for n, d in enumerate(record.doses, 1):
        load = f" Load: {d.dose.load}." if d.dose.load else ""
        lines.append(f"{n}. {d.title}: {dose_summary(d.dose)}.{load}")
    if record.note:
        lines.append(f"Note to patient: {record.note}")
    for at, recipient, result in record.emails:
        lines.append(f"Emailed to {recipient} on {at[:10]}: {result}.")
    for scan in record.adherence:
        lines.append(
            f"Log brought back {scan.at[:10]}: {scan.done} of {scan.planned} planned sessions done ({percent(scan.done, scan.planned)})."
        )
        for n, (d, days) in enumerate(zip(record.doses, scan.ticked, strict=False), 1):
            row = Row(d.title, min(7, d.dose.per_week), list(days), [])  # counted as the scan counted it
            met = ", ".join(
                f"week {w + 1} {row.week(w)} (goal met)" if row.met(w) else f"week {w + 1} {row.week(w)} of {row.goal}" for w in (0, 1)
            )
            lines.append(f"  {n}. {d.title}: {met}.")
    lines.append(f"File: {record.path}")
    return "\n".join(lines)
