"""What each patient was given: handouts, doses, emails and scans, in one history.

One clinic keeps it in a local SQLite file (sqlite.py); a group of clinics shares one
PostgreSQL database by URL (postgres.py). Both hold the same tables and give the same
answers: the queries here are written once, and each store only opens its database,
creates or upgrades the schema, and says what went wrong in words.

Patient records are health data, so nothing here prints and `forget` deletes for good.
Many processes (and machines) may write at once. A history this version cannot read is
reported, never repaired or replaced, because it may be the clinic's only record.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from handouts.errors import UsageError
from handouts.history.store import SCHEMA_VERSION, HistoryError, Store, shown
from handouts.models import Dose, Issue, Library
from handouts.sheet import LOG_DAYS
from handouts.tally import Row, percent
from handouts.wording import DEFAULT, load

__all__ = ["SCHEMA_VERSION", "History", "HistoryError", "Record", "clinician_title", "patient_key", "shown", "summary_text"]


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
    """One history (a file or a database); open it per command, it closes with the `with` block."""

    def __init__(self, place: Path | str) -> None:
        self.place = place
        self._store: Store | None = None

    @property
    def where(self) -> str:
        """The history as a message names it: a file's path, or the database URL without any password."""
        return shown(self.place)

    def __enter__(self) -> History:
        return self  # opened on first use, so a damaged history never stops the PDF before it

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> Store:
        if self._store is None:
            if isinstance(self.place, str):
                from handouts.history.postgres import PostgresStore

                self._store = PostgresStore(self.place, self.where)
            else:
                from handouts.history.sqlite import SqliteStore

                self._store = SqliteStore(self.place)
        return self._store

    # -- writing ---------------------------------------------------------------

    def record(self, issues: Iterable[Issue]) -> list[int]:
        """Record handouts whose PDFs are in place, in one transaction; returns their ids."""
        now = _now()
        ids: list[int] = []
        store = self.store
        try:
            with store.transaction():
                for issue in issues:
                    h = issue.handout
                    cur = store.execute(
                        "INSERT INTO handouts (issued_at, patient, patient_key, patient_id, program_id, "
                        "program_title, start, paper, lang, note, path, sha256, sheet) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
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
                    handout_id = int(cur.fetchone()[0])
                    store.executemany(
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
        except store.errors as e:
            raise store.error(e) from None
        return ids

    def record_email(self, handout_id: int, recipient: str, result: str) -> None:
        store = self.store
        try:
            with store.transaction():
                store.execute(
                    "INSERT INTO emails (handout_id, at, recipient, result) VALUES (?,?,?,?)", (handout_id, _now(), recipient, result)
                )
        except store.errors as e:
            raise store.error(e) from None

    def record_scan(
        self, sheet: str, photo_sha256: str, done: int, planned: int, ticked: list[list[int]], unsure: list[list[int]]
    ) -> tuple[Record | None, bool]:
        """Record a read log against the latest handout with its sheet number.

        Returns that handout (None when this history never saw the sheet) and whether the
        scan was new: the same photo read again is recorded once.
        """
        import json

        store = self.store
        try:
            with store.transaction():
                row = store.execute("SELECT id FROM handouts WHERE sheet = ? ORDER BY id DESC LIMIT 1", (sheet,)).fetchone()
                if row is None:
                    return None, False
                cur = store.execute(
                    "INSERT INTO scans (handout_id, at, photo_sha256, done, planned, ticks) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    (row[0], _now(), photo_sha256, done, planned, json.dumps({"ticked": ticked, "unsure": unsure})),
                )
                new = cur.rowcount == 1
        except store.errors as e:
            raise store.error(e) from None
        return self.get(int(row[0])), new

    def forget(self, records: list[Record]) -> int:
        """Delete a patient's records for good: each store also clears the deleted rows from its disk."""
        store = self.store
        try:
            with store.transaction():
                store.executemany("DELETE FROM handouts WHERE id = ?", [(r.id,) for r in records])
            store.purge()
        except store.errors as e:
            raise store.error(e) from None
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

    def by_sha256(self, sha256: str) -> Record | None:
        """The latest handout whose PDF has these bytes (the file `handouts email` is given)."""
        found = self._records("WHERE sha256 = ? ORDER BY id DESC LIMIT 1", (sha256,))
        return found[0] if found else None

    def get(self, record_id: int) -> Record | None:
        found = self._records("WHERE id = ?", (record_id,))
        return found[0] if found else None

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        store = self.store
        try:
            rows: list[tuple[object, ...]] = store.execute(sql, args).fetchall()
        except store.errors as e:
            raise store.error(e) from None
        return rows

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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def clinician_title(record: Record, library: Library | None = None, lang: str = DEFAULT) -> str:
    """The plan's name in the clinic's language (clinic.toml's lang), whatever language the sheet was printed in."""
    if record.lang == lang or library is None:
        return record.program_title
    program = library.programs.get(record.program_id)
    if program is not None:
        return program.title if lang == DEFAULT else library.program_titles.get(lang, {}).get(program.id, record.program_title)
    if record.program_id == "custom":
        return load(lang)("custom_title")
    return record.program_title


def _exercise_title(record: Record, exercise_id: str, printed: str, library: Library | None, lang: str) -> str:
    """An exercise's name in the clinic's language from the library; as printed where the library lacks it."""
    if record.lang == lang or library is None:
        return printed
    if lang == DEFAULT:
        known = library.exercises.get(exercise_id)
        return known.title if known is not None else printed
    text = library.translations.get(lang, {}).get(exercise_id)
    return text.title if text is not None else printed


def summary_text(record: Record, library: Library | None = None, lang: str = DEFAULT) -> str:
    """The paste-ready summary of one handout, for the clinical note: in the clinic's language
    (the chart's), whatever the sheet's; the exercises' names from the library where it has them."""
    words = load(lang)
    issued = record.issued_at[:10]
    who = words.chart("patient_id", patient=record.patient, id=record.patient_id) if record.patient_id else record.patient
    end = record.start + dt.timedelta(days=LOG_DAYS - 1)
    lines = [
        words.chart("given", date=issued, patient=who, plan=clinician_title(record, library, lang)),
        words.chart("log_dates", start=record.start.isoformat(), end=end.isoformat()),
    ]
    titles = [_exercise_title(record, d.exercise_id, d.title, library, lang) for d in record.doses]
    for n, (d, title) in enumerate(zip(record.doses, titles, strict=True), 1):
        load_text = words.chart("load", load=d.dose.load) if d.dose.load else ""
        lines.append(words.chart("exercise", n=n, title=title, dose=words.summary(d.dose)) + load_text)
    if record.note:
        lines.append(words.chart("note", note=record.note))
    for at, recipient, result in record.emails:
        lines.append(words.chart("emailed", recipient=recipient, date=at[:10], result=result))
    for scan in record.adherence:
        lines.append(
            words.chart("log_back", date=scan.at[:10], done=scan.done, planned=scan.planned, percent=percent(scan.done, scan.planned))
        )
        for n, (d, title, days) in enumerate(zip(record.doses, titles, scan.ticked, strict=False), 1):
            row = Row(d.title, min(7, d.dose.per_week), list(days), [])  # counted as the scan counted it
            weeks = ", ".join(
                words.chart("week_met", week=w + 1, done=row.week(w))
                if row.met(w)
                else words.chart("week_short", week=w + 1, done=row.week(w), goal=row.goal)
                for w in (0, 1)
            )
            lines.append(words.chart("log_row", n=n, title=title, weeks=weeks))
    lines.append(words.chart("file", path=record.path))
    return "\n".join(lines)
