"""The returned-sheets page: photos of ticked logs uploaded, read and recorded, shown box by box.

Reading, counting and recording are scan.py's and scanreport.py's, as `handouts scan`
does them; this only takes the uploads and turns each outcome into what the page shows.
OpenCV is imported when the first photo arrives, so the page starts without the extra.
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from handouts.history import History
from handouts.sheet import LOG_DAYS

if TYPE_CHECKING:
    from handouts.scan.reader import Outcome
    from handouts.web.settings import Settings

MAX_PHOTO = 25 * 1024 * 1024  # a 48 MP phone photo is about 15 MB
MAX_PHOTOS = 10
SHOWN_WIDTH = 1200  # the photo with its reading, as the page shows it
NEEDS_EXTRA = "reading photos needs the scan extra on this computer: pip install '.[scan]'"


class Returns:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @staticmethod
    def ready() -> bool:
        """Whether the scan extra is installed, without loading OpenCV to find out."""
        from importlib.util import find_spec

        return find_spec("cv2") is not None and find_spec("zxingcpp") is not None

    async def upload(self, request: Request) -> Response:
        if not self.ready():
            return JSONResponse({"error": NEEDS_EXTRA}, status_code=400)
        if int(request.headers.get("content-length") or 0) > MAX_PHOTOS * MAX_PHOTO:
            return JSONResponse({"error": f"at most {MAX_PHOTOS} photos of 25 MB each at a time"}, status_code=400)
        form = await request.form(max_files=MAX_PHOTOS, max_fields=5)
        photos = [p for p in form.getlist("photos") if isinstance(p, UploadFile) and p.filename]
        if not photos:
            return JSONResponse({"error": "choose a photo of the returned sheet first"}, status_code=400)
        readings = []
        with tempfile.TemporaryDirectory(prefix="handouts-returned-") as tmp:
            for n, upload in enumerate(photos):
                data = await upload.read(MAX_PHOTO + 1)
                name = upload.filename or f"photo {n + 1}"
                if len(data) > MAX_PHOTO:
                    readings.append({"photo": name, "refused": "the file is larger than 25 MB; is it a photo?"})
                    continue
                path = Path(tmp) / f"{n}{Path(name).suffix.lower()[:6]}"
                path.write_bytes(data)
                readings.append(await run_in_threadpool(self._read, path, name))
        return JSONResponse({"readings": readings})

    def _read(self, path: Path, name: str) -> dict[str, Any]:
        from handouts.scan import reader as scan

        history = History(self.settings.history_file) if self.settings.history_file else None
        try:
            with history if history is not None else nullcontext():
                outcome = scan.scan_photo(path, history, name)
        except scan.Unreadable as e:
            return {"photo": name, "refused": str(e).split(": ", 1)[-1]}
        return _shown(name, outcome)


def _shown(name: str, out: Outcome) -> dict[str, Any]:
    from handouts.scan.reader import drawn
    from handouts.tally import percent, spaced

    code, t = out.reading.code, out.tally
    days = [code.start + dt.timedelta(days=d) for d in range(LOG_DAYS)]
    summary = t.summary()
    if out.history_problem:
        note = "Read, but not recorded: the history could not be written."
    elif out.record is None:
        note = "This sheet is not in this computer's history: read, not recorded."
    elif out.recorded is False:
        note = "This photo was read before; it is recorded once."
    else:
        note = "Recorded in the patient's history."
    state = {True: "ticked", False: "empty", None: "unsure"}
    return {
        "photo": name,
        "patient": out.record.patient if out.record else None,
        "record": out.record.id if out.record else None,
        "sheet": spaced(code.sheet),
        "from": f"{days[0]:%a} {days[0].day} {days[0]:%b}",
        "to": f"{days[-1]:%a} {days[-1].day} {days[-1]:%b %Y}",
        "days": [f"{d:%a}"[:2] + f" {d.day}" for d in days],
        "rows": [
            {
                "exercise": r.exercise,
                "goal": r.goal_text,
                "states": [state[s] for s in out.reading.boxes[n]],
                "weeks": [r.week_text(0), r.week_text(1)],
            }
            for n, r in enumerate(t.rows)
        ],
        "summary": summary,
        "percent": percent(t.done, t.planned),
        "note": note,
        "image": "data:image/jpeg;base64," + base64.b64encode(drawn(out.reading, summary, SHOWN_WIDTH)).decode(),
    }
