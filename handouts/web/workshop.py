"""The workshop page: a roster uploaded, made in the background, its progress polled, its files fetched.

The batch itself is batch.py's, row for row as `handouts batch` makes it; this only
keeps each upload's job (in memory, under a random id) and hands back its files.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from handouts.batch import BatchReport, count_rows, plan_batch, run_batch
from handouts.errors import HandoutError
from handouts.history import History
from handouts.web.expiring import Expiring
from handouts.web.form import for_the_page

if TYPE_CHECKING:
    from handouts.pipeline import Sources
from handouts.web.settings import Settings

JOB_TTL_S = 3600  # a finished workshop's files stay an hour, unless downloaded first
MAX_JOBS = 50
MAX_UPLOAD = 5 * 1024 * 1024  # a roster of thousands of rows is well under this
KINDS = {".csv": b"", ".xlsx": b"PK\x03\x04"}  # accepted types, and how an .xlsx file starts


@dataclass
class Job:
    total: int = 0
    done: int = 0
    unused_email: bool = False  # the roster has addresses, which this page does not send to
    finished: bool = False
    error: str = ""
    report: BatchReport | None = None
    directory: Path = field(default_factory=Path)
    roster_name: str = ""
    downloaded: set[str] = field(default_factory=set)  # "combined", "zip"

    def offered(self) -> set[str]:
        """The files this workshop's page offers for download."""
        report = self.report
        kinds = set()
        if report and report.combined:
            kinds.add("combined")
        if self.finished and report and report.written:
            kinds.add("zip")
        return kinds


def _delete(job: Job) -> None:
    """A workshop's folder holds patients' PDFs: gone once downloaded, expired, or the server stops."""
    shutil.rmtree(job.directory, ignore_errors=True)


class Workshops:
    def __init__(self, settings: Settings, sources: Sources) -> None:
        self.settings = settings
        self.sources = sources
        self.jobs: Expiring[Job] = Expiring(JOB_TTL_S, MAX_JOBS, on_drop=_delete, busy=lambda job: not job.finished)

    def close(self) -> None:
        """At shutdown: every workshop folder deleted."""
        self.jobs.clear()

    async def upload(self, request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD + 64 * 1024:
            return _refuse("the file is larger than 5 MB; a roster is much smaller. Is it the right file?")
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("roster")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _refuse("choose the roster file first (CSV or .xlsx)")
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in KINDS:
            return _refuse(f'"{upload.filename}" is not a roster: save it as CSV or .xlsx from your spreadsheet')
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return _refuse("the file is larger than 5 MB; a roster is much smaller. Is it the right file?")
        if not data.startswith(KINDS[suffix]) or (
            suffix == ".csv" and b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
        ):
            return _refuse(f'"{upload.filename}" does not look like a {suffix} file inside')
        directory = Path(tempfile.mkdtemp(prefix="handouts-workshop-"))
        roster = directory / f"roster{suffix}"
        roster.write_bytes(data)
        job = Job(directory=directory, roster_name=upload.filename)
        job_id = self.jobs.put(job)
        threading.Thread(target=self._run, args=(job_id, job, roster), daemon=True).start()
        await asyncio.sleep(0)
        return JSONResponse({"job": job_id})

    def _run(self, job_id: str, job: Job, roster: Path) -> None:
        settings = self.settings
        history = History(settings.history_file) if settings.history_file else None
        try:
            rows = count_rows(roster)
            if rows > settings.max_roster_rows:
                raise HandoutError(
                    f"this roster has {rows:,} rows; the page makes at most {settings.max_roster_rows:,} at a time. "
                    "Split it into smaller files, or ask whoever runs the page to raise --max-roster-rows"
                )
            plan = plan_batch(roster, job.directory / "handouts", self.sources)
            job.report = report = plan.report
            # every row counts: those refused or repeated are already done with, the rest as they are made
            job.total = max(plan.total, len(plan.rows) + len(report.failed))
            job.done = job.total - len(plan.rows)
            job.unused_email = any(row.email for row, _, _ in plan.rows)

            def advance(n: int) -> None:
                job.done += n

            run_batch(plan, 1, False, job.directory / "all-handouts.pdf", advance, history)
            job.done = job.total
            with zipfile.ZipFile(job.directory / "handouts.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for path in map(Path, report.written):
                    z.write(path, path.name)
        except HandoutError as e:
            job.error = str(e).replace(str(roster), job.roster_name)
        except Exception as e:  # never a workshop that silently reports "0 written, 0 failed"
            import logging

            logging.getLogger("handouts.web").error("handouts: workshop stopped by %s", type(e).__name__)
            job.error = "the workshop stopped part-way on this computer; the handouts listed were made. Upload it again"
        finally:
            if history is not None:
                history.close()
            job.finished = True
            self.jobs.touch(job_id)  # its hour starts now

    def status(self, job_id: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None:
            return JSONResponse({"error": "no such workshop; upload the roster again"}, status_code=404)
        report = job.report
        failures = [{"row": f.line, "message": for_the_page(" ".join(f.message.split()))} for f in report.failed] if report else []
        return JSONResponse(
            {
                "total": job.total,
                "done": job.done,
                "finished": job.finished,
                "error": job.error,
                "written": len(report.written) if report else 0,
                "failures": failures,
                "notes": ([EMAIL_UNUSED] if job.unused_email else [])
                + ([f"Row {w.line}: {' '.join(w.message.split())}" for w in report.warnings] if report else []),
                "summary": report.summary() if report and job.finished else "",
                "combined": f"/workshop/{job_id}/combined" if report and report.combined else "",
                "zip": f"/workshop/{job_id}/zip" if job.finished and report and report.written else "",
            }
        )

    def file(self, job_id: str, kind: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None or not job.finished:
            return JSONResponse({"error": "no such workshop file"}, status_code=404)
        if kind == "combined" and job.report and job.report.combined and job.report.combined.is_file():
            data, media, name = job.report.combined.read_bytes(), "application/pdf", "workshop-handouts.pdf"
        elif kind == "zip" and (job.directory / "handouts.zip").is_file():
            data, media, name = (job.directory / "handouts.zip").read_bytes(), "application/zip", "workshop-handouts.zip"
        else:
            return JSONResponse({"error": "no such workshop file"}, status_code=404)
        job.downloaded.add(kind)
        if job.downloaded >= job.offered():  # both files taken: the patients' PDFs leave this computer's temp
            self.jobs.drop(job_id)
        return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


EMAIL_UNUSED = (
    "The roster's email column was not used: this page prints workshop handouts, it does not email them. "
    "To email one, open it from Patients, or make it on New handout and press Email"
)


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "field": "roster"}, status_code=400)
