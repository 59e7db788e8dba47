"""The workshop page: a roster uploaded, made in the background, its progress polled, its files fetched.

The batch itself is batch.py's, row for row as `handouts batch` makes it; this only
keeps each upload's job (in memory, under a random id) and hands back its files.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from handouts.batch import BatchReport, plan_batch, run_batch
from handouts.errors import HandoutError
from handouts.history import History

if TYPE_CHECKING:
    from handouts.pipeline import Sources
    from handouts.web.app import Settings

MAX_UPLOAD = 5 * 1024 * 1024           # a roster of thousands of rows is well under this
KINDS = {".csv": b"", ".xlsx": b"PK\x03\x04"}   # accepted types, and how an .xlsx file starts


@dataclass
class Job:
    total: int = 0
    done: int = 0
    finished: bool = False
    error: str = ""
    report: BatchReport | None = None
    directory: Path = field(default_factory=Path)
    roster_name: str = ""


class Workshops:
    def __init__(self, settings: Settings, sources: Sources) -> None:
        self.settings = settings
        self.sources = sources
        self.jobs: dict[str, Job] = {}

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
        if not data.startswith(KINDS[suffix]) or (suffix == ".csv" and b"\x00" in data[:4096] and
                                                  not data.startswith((b"\xff\xfe", b"\xfe\xff"))):
            return _refuse(f'"{upload.filename}" does not look like a {suffix} file inside')
        job_id = secrets.token_urlsafe(12)
        directory = Path(tempfile.mkdtemp(prefix="handouts-workshop-"))
        roster = directory / f"roster{suffix}"
        roster.write_bytes(data)
        job = Job(directory=directory, roster_name=upload.filename)
        self.jobs[job_id] = job
        threading.Thread(target=self._run, args=(job, roster), daemon=True).start()
        await asyncio.sleep(0)
        return JSONResponse({"job": job_id})

    def _run(self, job: Job, roster: Path) -> None:
        settings = self.settings
        history = History(settings.history_file) if settings.history_file else None
        try:
            report = plan_batch(roster, job.directory / "handouts", settings.library_dir, settings.clinic_file)
            job.total = len(report.rows)
            job.report = report

            def advance(n: int) -> None:
                job.done += n

            run_batch(report, 1, False, job.directory / "all-handouts.pdf", advance, history)
            with zipfile.ZipFile(job.directory / "handouts.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for path in map(Path, report.written):
                    z.write(path, path.name)
        except HandoutError as e:
            job.error = str(e).replace(str(roster), job.roster_name)
        finally:
            if history is not None:
                history.close()
            job.finished = True

    def status(self, job_id: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None:
            return JSONResponse({"error": "no such workshop; upload the roster again"}, status_code=404)
        report = job.report
        failures = [{"row": f.line, "message": " ".join(f.message.split())} for f in report.failed] if report else []
        return JSONResponse({
            "total": job.total, "done": job.done, "finished": job.finished, "error": job.error,
            "written": len(report.written) if report else 0, "failures": failures,
            "summary": report.summary() if report and job.finished else "",
            "combined": f"/workshop/{job_id}/combined" if report and report.combined else "",
            "zip": f"/workshop/{job_id}/zip" if job.finished and report and report.written else "",
        })

    def file(self, job_id: str, kind: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None or not job.finished:
            return JSONResponse({"error": "no such workshop file"}, status_code=404)
        if kind == "combined" and job.report and job.report.combined:
            return FileResponse(job.report.combined, media_type="application/pdf", filename="workshop-handouts.pdf")
        if kind == "zip" and (job.directory / "handouts.zip").is_file():
            return FileResponse(job.directory / "handouts.zip", media_type="application/zip",
                                filename="workshop-handouts.zip")
        return JSONResponse({"error": "no such workshop file"}, status_code=404)


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "field": "roster"}, status_code=400)
