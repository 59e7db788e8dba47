"""A workshop batch: one PDF per roster row, one combined print file, over several processes.

What does not change per patient (library, clinic, fonts, the QR) is built once in
the parent before the worker processes fork, so each worker starts warm.
"""

from __future__ import annotations

import glob
import hashlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from handouts.errors import DataError, HandoutError
from handouts.history import History
from handouts.ledger import Ledger
from handouts.models import Handout, Issue
from handouts.output import file_name, remove_stale_parts
from handouts.pipeline import Sources, build_handout, deliver_and_note, fingerprint, produce, produce_combined, record, warm_up
from handouts.request import HandoutRequest, choices_from
from handouts.roster import Failure, RosterRow, iter_roster, spreadsheet_rows

T = TypeVar("T")
CHUNK = 16  # handouts per message to a worker: fewer round trips, still a smooth progress bar
WINDOW = 4  # chunks in flight per worker: enough to keep them busy, few enough to keep memory flat


Planned = tuple[RosterRow, Handout, Path]  # a roster row, its handout, and the file it goes to


@dataclass
class BatchReport:
    """What a batch did, row by row; it also decides the exit status."""

    # paths as text: a 100,000-row batch keeps a list of them, and a Path object weighs several times more
    written: list[str] = field(default_factory=list)
    remade: list[str] = field(default_factory=list)  # there before, but the row changed since
    skipped: list[str] = field(default_factory=list)  # there before, made from the same row
    failed: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    not_emailed: list[Failure] = field(default_factory=list)
    combined: Path | None = None
    emailed: list[str] = field(default_factory=list)
    already_emailed: int = 0
    passwords: list[tuple[str, str]] = field(default_factory=list)  # (recipient, PDF password)
    mailing: bool = False
    history_problem: str = ""
    problems: list[str] = field(default_factory=list)  # the batch's own troubles: its ledger, the combined file

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.history_problem or self.not_emailed or self.problems else 0

    def summary(self) -> str:
        parts = [f"{len(self.written)} written"]
        if self.remade:
            parts.append(f"{len(self.remade)} remade (changed)")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (unchanged)")
        if self.mailing:
            parts.append(f"{len(self.emailed)} emailed")
            if self.already_emailed:
                parts.append(f"{self.already_emailed} already emailed")
            if self.not_emailed:
                parts.append(f"{len(self.not_emailed)} not emailed (no address)")
        parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)


@dataclass
class BatchPlan:
    """What the roster asks for, decided before anything is made: each row's handout and file name.

    Planned all at once (for a combined print file) or row by row as the batch runs
    (`stream`), so a roster of 100,000 rows never sits in memory. The roster's own
    problems (a bad row, a repeated one) go into `report` as they are read.
    """

    out_dir: Path
    total: int  # data rows in the roster, for a progress bar
    qr_target: str
    ledger: Ledger = field(repr=False)
    report: BatchReport
    rows: list[Planned] = field(default_factory=list)
    stream: Iterator[Planned] | None = field(default=None, repr=False)
    fingerprints: dict[str, str] = field(default_factory=dict)  # file name -> what it is made from, until made
    mail: list[Planned] = field(default_factory=list)  # rows to email, kept as they pass
    record_ids: dict[Path, int] = field(default_factory=dict)  # history row of each handout written, for its email
    written_as: dict[Path, Path] = field(default_factory=dict)  # planned name -> the file that holds it, where they differ


@dataclass(frozen=True)
class Job:
    line: int
    handout: Handout
    path: Path
    keep: bool = False  # a whole earlier file is there: the new one takes a name of its own (name_v2.pdf)


def plan_batch(
    roster: Path, out_dir: Path, sources: Sources, *, stream: bool = False, mailing: bool = False, lang: str | None = None
) -> BatchPlan:
    """Decide every file name in roster order: all at once, or, with `stream`, row by row as the
    batch runs, so a roster of 100,000 rows never sits in memory (only its file names do).

    Names come from patient, program and start date; a second patient with the
    same name gets "-2" in roster order, so a rerun finds the same names again.
    """
    plan = BatchPlan(
        out_dir=out_dir,
        total=count_rows(roster),
        qr_target=sources.clinic.qr_target,
        ledger=Ledger(out_dir),
        report=BatchReport(mailing=mailing),
    )
    planned = _plan(roster, sources, plan, lang)
    if stream:
        plan.stream = planned
    else:
        plan.rows = list(planned)
    return plan


def count_rows(roster: Path) -> int:
    """About how many patients: lines after the header (a progress bar's length, not a promise)."""
    try:
        if roster.suffix.lower() == ".xlsx":
            return spreadsheet_rows(roster)
        with roster.open("rb") as f:
            return max(0, sum(1 for line in f if line.strip()) - 1)
    except OSError:
        return 0


def _plan(roster: Path, sources: Sources, plan: BatchPlan, lang: str | None) -> Iterator[Planned]:
    ledger, report = plan.ledger, plan.report
    patients = 0
    for item in iter_roster(roster, report.warnings):
        if isinstance(item, Failure):
            report.failed.append(item)
            continue
        row = item
        patients += 1
        try:
            handout = build_handout(row_request(row, lang), sources)
        except HandoutError as e:
            report.failed.append(Failure(row.line, str(e)))
            continue
        fp = fingerprint(handout, row.email)
        earlier = ledger.seen_before(fp, row.line)
        if earlier is not None:
            report.warnings.append(Failure(row.line, f"same as line {earlier}; made once"))
            continue
        name = file_name(handout)
        count, first = ledger.number(name, row.line)
        if count:
            report.warnings.append(
                Failure(row.line, f"{handout.patient} is also on line {first} with another plan; this one is a file of its own")
            )
            name = f"{name[:-4]}-{count + 1}.pdf"
        plan.fingerprints[name] = fp
        yield row, handout, plan.out_dir / name
    if not patients and not report.failed:
        raise DataError(f"{roster}: no patients in the roster, only a header row; add one row per patient")


def row_request(row: RosterRow, lang: str | None = None) -> HandoutRequest:
    """A roster row as a request; its own lang column wins over the batch's --lang."""
    return HandoutRequest(
        patient=row.name,
        patient_id=row.patient_id,
        choices=choices_from(row.exercises),
        program_id=row.program,
        note=row.note,
        start=row.start,
        paper=row.paper,
        lang=row.lang or lang,
    )


def run_batch(
    plan: BatchPlan,
    jobs: int,
    force: bool = False,
    combined: Path | None = None,
    progress: Callable[[int], None] | None = None,
    history: History | None = None,
) -> BatchReport:
    """Write every planned handout not already made from the same row, then the combined file;
    record what was written.

    Rows go to the workers in chunks as they are planned, with a bounded number in flight,
    so memory stays flat however long the roster. Recording happens here in the parent, in
    one transaction per chunk of results, so the workers never contend for the history file.
    """
    report = plan.report
    directory = plan.out_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        from handouts.output import why

        raise DataError(f"{directory}: cannot create the output directory ({why(e)})") from None
    remove_stale_parts(directory)
    ledger = plan.ledger
    changed: set[Path] = set()
    source: Iterable[Planned] = plan.stream if plan.stream is not None else plan.rows
    pages = [h for _, h, _ in plan.rows]
    warm_up(plan.qr_target)
    unrecorded: list[Issue] = []
    started_ns = time.time_ns()
    with _executor(jobs, plan.total if plan.stream is not None else len(plan.rows)) as pool:
        pending_combined = None
        in_flight: deque[tuple[Future[list[tuple[int, Path, str, str]]], list[Job]]] = deque()
        chunk: list[Job] = []
        try:
            for row, handout, path in source:
                state, current = ledger.state(path, plan.fingerprints.get(path.name, ""))
                if current != path:
                    plan.written_as[path] = current
                if row.email or report.mailing:
                    plan.mail.append((row, handout, path))
                if state == "unchanged" and not force:
                    report.skipped.append(str(current))
                    plan.fingerprints.pop(path.name, None)
                    if progress:
                        progress(1)
                    continue
                if state != "new" and not force:
                    changed.add(path)
                chunk.append(Job(row.line, handout, path, keep=state in ("changed", "unchanged")))
                if len(chunk) == CHUNK:
                    in_flight.append((pool.submit(_make_chunk, chunk), chunk))
                    chunk = []
                    while len(in_flight) > WINDOW * max(jobs, 1):  # keep the queue short: flat memory
                        _collect(*in_flight[0], plan, changed, history, unrecorded, progress)
                        in_flight.popleft()  # only once counted: Ctrl-C half-way leaves it for _salvage
            if chunk:
                in_flight.append((pool.submit(_make_chunk, chunk), chunk))
            wrote_any = bool(report.written or report.remade or in_flight)
            if combined is not None and pages and (wrote_any or force or not combined.exists()):
                # the combined file renders in one worker while the others finish the single files
                pending_combined = pool.submit(_write_combined, pages, combined)
            while in_flight:
                _collect(*in_flight[0], plan, changed, history, unrecorded, progress)
                in_flight.popleft()
        except BaseException:
            _stop(pool)
            _salvage(in_flight, plan, changed, history, unrecorded, started_ns)
            raise
        finally:  # also on Ctrl-C: what is whole is recorded, so the rerun skips it
            _record(plan, history, unrecorded)
            ledger.close()
            if ledger.problem:
                report.problems.append(ledger.problem)
        if pending_combined is not None:
            report.combined, problem = pending_combined.result()
            if problem:
                report.problems.append(problem)
    report.failed.sort(key=lambda f: f.line)
    report.warnings.sort(key=lambda f: f.line)
    return report


def _collect(
    done: Future[list[tuple[int, Path, str, str]]],
    jobs: list[Job],
    plan: BatchPlan,
    changed: set[Path],
    history: History | None,
    unrecorded: list[Issue],
    progress: Callable[[int], None] | None,
) -> None:
    """One chunk's results as they come back: counted, recorded in chunks, and noted in the ledger.
    The handouts stay here with their jobs: only lines, paths and checksums cross back from a worker."""
    report = plan.report
    results = done.result()
    while jobs:  # each job leaves the list once counted: a chunk interrupted half-way is finished by _salvage
        line, path, error, sha256 = results[len(results) - len(jobs)]
        if error:
            report.failed.append(Failure(line, error))
        else:
            planned = jobs[0].path
            (report.remade if planned in changed else report.written).append(str(path))
            # done with it here: memory stays flat
            plan.ledger.note(planned.name, plan.fingerprints.pop(planned.name, ""), sha256, path.name)
            if path != planned:
                plan.written_as[planned] = path
            else:
                plan.written_as.pop(planned, None)
            unrecorded.append(Issue(jobs[0].handout, path, sha256))
            if len(unrecorded) >= 4 * CHUNK:  # kept up as it goes: a killed run loses at most a chunk
                _record(plan, history, unrecorded)
        jobs.pop(0)
        if progress:
            progress(1)


def _salvage(
    in_flight: deque[tuple[Future[list[tuple[int, Path, str, str]]], list[Job]]],
    plan: BatchPlan,
    changed: set[Path],
    history: History | None,
    unrecorded: list[Issue],
    started_ns: int,
) -> None:
    """Stopped part-way (Ctrl-C, SIGTERM): the files workers finished are counted, noted and recorded
    like any other, so the summary matches the disk and the rerun skips them. A chunk's results come
    back only when the whole chunk is done; for a chunk cut short, a file written during this run is
    whole (written atomically), and is read back to be noted."""
    report = plan.report
    for done, jobs in in_flight:
        if done.done() and not done.cancelled() and done.exception() is None:
            _collect(done, jobs, plan, changed, history, unrecorded, None)
            continue
        for job in jobs:
            found = _written_this_run(job, started_ns)
            if found is None:
                continue
            path, sha256 = found
            (report.remade if job.path in changed else report.written).append(str(path))
            plan.ledger.note(job.path.name, plan.fingerprints.pop(job.path.name, ""), sha256, path.name)
            unrecorded.append(Issue(job.handout, path, sha256))
    in_flight.clear()


def _written_this_run(job: Job, started_ns: int) -> tuple[Path, str] | None:
    """The file a worker cut short by a stop wrote for this job, if it wrote one: the planned name, or
    with `keep` the newest version of it. Written atomically, so whatever is there is whole."""
    candidates = [job.path]
    if job.keep:
        versions = sorted(job.path.parent.glob(f"{glob.escape(job.path.stem)}_v*.pdf"), key=_age)
        candidates = versions[-1:] + candidates
    for path in candidates:
        try:
            if path.stat().st_mtime_ns < started_ns:
                continue  # there before this run, untouched
            return path, hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue  # never written
    return None


def _age(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _record(plan: BatchPlan, history: History | None, issues: list[Issue]) -> None:
    report = plan.report
    plan.ledger.commit()  # noted before recorded: a file the history points to is never taken for one a killed run left
    if history is not None and issues and not report.history_problem:
        ids, problem = record(history, issues)
        report.history_problem = problem
        if report.mailing:  # only an email needs to find its record again
            plan.record_ids.update({issue.path: i for issue, i in zip(issues, ids, strict=False)})
    issues.clear()


def _make_chunk(jobs: list[Job]) -> list[tuple[int, Path, str, str]]:
    return [_make_one(job) for job in jobs]


def _make_one(job: Job) -> tuple[int, Path, str, str]:
    try:
        # the plan already chose this name; an earlier whole file under it stays, for the record that points to it
        path, sha256 = produce(job.handout, job.path, force=True, versions=job.keep)
    except HandoutError as e:
        return job.line, job.path, str(e), ""
    return job.line, path, "", sha256


def _write_combined(pages: list[Handout], path: Path) -> tuple[Path | None, str]:
    """All good pages in one document, so each font subset is embedded once for the printer;
    or why not (the disk), said once beside the summary."""
    try:
        return produce_combined(pages, path), ""
    except DataError as e:
        return None, f"the combined print file was not written: {e}"
    except HandoutError:
        return None, ""  # every row failed; each is already reported on its own line


class _Inline:
    """The executor interface, run in this process: no pool to start for a small batch."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args))
        return future


def _executor(jobs: int, count: int) -> ProcessPoolExecutor | _Inline:
    if jobs <= 1 or count < 2 * CHUNK:
        return _Inline()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_worker_init)


def _worker_init() -> None:
    """Workers leave stopping to the parent (which reports what was done) and die with it, even
    when it is killed outright: never an orphan still writing after the batch is gone."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the kernel ends this worker when the parent dies
        if os.getppid() == 1:  # the parent died before that took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's shutdown still ends the workers on Ctrl-C and SIGTERM


def _stop(pool: ProcessPoolExecutor | _Inline) -> None:
    """Stop now: drop what has not started and end the workers, without waiting for the queue."""
    if isinstance(pool, ProcessPoolExecutor):
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()  # workers ignore SIGTERM (the parent reports); a file cut short is only a hidden temporary one
        for process in processes:
            process.join(timeout=2)  # none still writing once the parent counts what is on disk


def _context() -> multiprocessing.context.BaseContext:
    # fork shares the warmed-up parent with the workers; elsewhere use the safe default.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def email_rows(plan: BatchPlan, history: History | None = None) -> BatchReport:
    """Send each good row's handout to its `email` cell; a failing row does not stop the rest.

    The sent log in the output directory lets a rerun skip patients already emailed.
    """
    from handouts.mail import already_sent

    report = plan.report
    report.mailing = True
    if not plan.mail:  # planned all at once (not streamed): every row is there
        plan.mail = list(plan.rows)
    failed_lines = {f.line for f in report.failed}
    done: dict[Path, set[tuple[str, str]]] = {}
    for row, handout, planned in plan.mail:
        path = plan.written_as.get(planned, planned)
        if row.line in failed_lines or not path.exists():
            continue
        if not row.email:
            report.not_emailed.append(Failure(row.line, "not emailed: no address in the email column"))
            continue
        sent = done.setdefault(path.parent, already_sent(path.parent))
        if (row.email, path.name) in sent:
            report.already_emailed += 1
            continue
        record_id = plan.record_ids.get(path)
        try:
            delivery, problem = deliver_and_note(handout.clinic, path, row.email, history, record_id, handout.lang)
        except HandoutError as e:
            report.failed.append(Failure(row.line, f"email to {row.email} failed: {e}"))
            continue
        report.history_problem = report.history_problem or problem
        password = delivery.password
        report.emailed.append(row.email)
        if password:
            report.passwords.append((row.email, password))
    report.failed.sort(key=lambda f: f.line)
    return report
