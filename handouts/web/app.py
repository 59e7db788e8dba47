"""`handouts serve`: the clinic's own web page over the same request pipeline as the command line.

The routes only turn form fields into a HandoutRequest and results into pages or JSON;
composing, checking, drawing, writing, recording and sending stay in pipeline.py, so the
page can never print what the command line would refuse.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import io
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from handouts.compose import MAX_NOTE
from handouts.doses import Choice, parse_choice
from handouts.errors import HandoutError
from handouts.history import History, HistoryError, Record, clinician_title, patient_key, summary_text
from handouts.library.load import EQUIPMENT, REGIONS
from handouts.library.search import load_synonyms, ranked
from handouts.models import Library
from handouts.paths import SYNONYMS
from handouts.pipeline import Sources, build_handout, deliver_and_note, fingerprint, issue, preview
from handouts.request import HandoutRequest, reissued
from handouts.web import favourites, security
from handouts.web.expiring import Expiring
from handouts.web.form import dose_token, for_the_page
from handouts.web.limits import MB, BodyLimit, CalmErrors, clean_text
from handouts.web.returned import MAX_PHOTO, MAX_PHOTOS, Returns
from handouts.web.settings import Settings
from handouts.web.workshop import MAX_UPLOAD, Workshops
from handouts.wording import dose_summary, languages
from handouts.wording import load as load_wording

HERE = Path(__file__).resolve().parent
PREVIEW_DPI = 90
MAX_PLAN_BYTES = 64 * 1024
FILE_TTL_S = 8 * 3600  # a download link lasts a working day (the PDF itself stays in -o DIR)
MAX_FILES = 2000
MAX_RECORD_ID = 2**63  # SQLite's largest integer; a larger id in an address names nothing
# What each upload may send, counted as it streams (every other request: a few hundred KB)
UPLOAD_LIMITS = {
    "/api/workshop": (MAX_UPLOAD + 64 * 1024, "the file is larger than 5 MB; a roster is much smaller. Is it the right file?"),
    "/api/returned": (MAX_PHOTOS * MAX_PHOTO + MB, f"at most {MAX_PHOTOS} photos of 25 MB each at a time"),
}
# PDFium is not thread-safe, and drawing is bound by the interpreter lock anyway: one page at a time
_PDFIUM = threading.Lock()


def create_app(settings: Settings) -> Starlette:
    sources = Sources.load(settings.library_dir, settings.clinic_file)  # a bad file stops the start, with its line
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    templates = Jinja2Templates(env=env)
    guard = security.Guard(settings.password)
    # random token -> PDF written (no patient name ever in a URL), for a working day at most
    files: Expiring[Path] = Expiring(FILE_TTL_S, MAX_FILES)
    workshops = Workshops(settings, sources)
    returns = Returns(settings)
    synonyms = load_synonyms(SYNONYMS)
    sample_clinic = is_sample(sources.clinic.source)
    ui = load_wording()  # the page's own words: English

    def page(request: Request, name: str, **context: Any) -> Response:
        context.update(
            csrf=security.csrf_token(request), password=bool(settings.password), clinic=sources.clinic.name, sample_clinic=sample_clinic
        )
        return templates.TemplateResponse(request, name, context)

    def history() -> History | None:
        return History(settings.history_file) if settings.history_file else None

    async def builder(request: Request) -> Response:
        return page(
            request,
            "builder.html",
            regions=[(r, ui.table["regions"].get(r, r)) for r in REGIONS],
            equipment=[(e, ui.table["equipment"].get(e, e)) for e in EQUIPMENT],
            languages=[(lang, ui.table["languages"].get(lang, lang)) for lang in languages()],
            today=dt.date.today().isoformat(),
            has_email=sources.clinic.email is not None,
            default_lang=sources.clinic.lang,
            max_note=MAX_NOTE,
        )

    async def exercises(request: Request) -> Response:
        text = request.query_params.get("q", "")[:200]
        region = request.query_params.get("region") or None
        equipment = request.query_params.get("equipment") or None
        try:
            found = ranked(sources.library, text, region, equipment, synonyms)
        except HandoutError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        return JSONResponse([_exercise_json(ex) for ex in found[:60]])

    drawings: dict[str, str] = {}  # each exercise's SVG, made once

    favourites_file = favourites.place(settings.library_dir, settings.history_file)

    async def starts(request: Request) -> Response:
        """What a plan can start from: the shipped and clinic programs, and the clinic's favourites."""
        programs = [{"kind": "program", "id": p.id, "name": p.title} for p in sources.library.programs.values()]
        saved = [{"kind": "favourite", "id": f.name, "name": f.name} for f in favourites.read(favourites_file)]
        return JSONResponse({"programs": programs, "favourites": saved})

    async def start_plan(request: Request) -> Response:
        """One program's or favourite's exercises, with their doses, as the plan takes them."""
        body = await _json(request)
        kind, name = str(body.get("kind", "")), str(body.get("id", ""))
        tokens: tuple[str, ...] = ()
        if kind == "program" and name in sources.library.programs:
            tokens = sources.library.programs[name].exercise_ids
        elif kind == "favourite":
            tokens = next((f.tokens for f in favourites.read(favourites_file) if f.name == name), ())
        if not tokens:
            return JSONResponse({"error": "that program or favourite is no longer there", "field": "start-from"}, status_code=404)
        out = []
        for token in tokens:
            try:
                choice = parse_choice(token)
            except HandoutError:
                continue  # a favourite hand-edited wrong: that line is left out, the rest still load
            ex = sources.library.exercises.get(choice.exercise_id)
            if ex is not None:
                out.append(_exercise_json(dataclasses.replace(ex, dose=choice.change.applied_to(ex.dose))))
        return JSONResponse(out)

    async def save_favourite(request: Request) -> Response:
        body = await _json(request)
        try:
            req = await _plan(request, body, library=sources.library)
            tokens = tuple(c.token for c in req.choices)
            fav = favourites.Favourite(str(body.get("name", "")), tokens, dt.date.today().isoformat())
            await asyncio.to_thread(favourites.save, favourites_file, fav)
        except HandoutError as e:
            return _problem(e)
        return JSONResponse({"saved": " ".join(fav.name.split())})

    async def figure(request: Request) -> Response:
        from handouts.web.figures import svg

        ex = sources.library.exercises.get(request.path_params["ex_id"])
        if ex is None or ex.figure is None:
            return Response("no drawing for that exercise", status_code=404, media_type="text/plain")
        if ex.id not in drawings:
            drawings[ex.id] = svg(ex.figure, sources.clinic.brand_color)
        return Response(drawings[ex.id], media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})

    def reissue_of(body: dict[str, Any], req: HandoutRequest) -> HandoutRequest:
        """A plan loaded by Reissue keeps the title it was first printed under, as `handouts again` does."""
        record_id = body.get("reissue_of")
        if not isinstance(record_id, int) or not 0 < record_id < 2**62:
            return req
        record = _record(history(), record_id)
        return reissued(req, record) if record is not None else req

    async def preview_image(request: Request) -> Response:
        try:
            body = await _json(request)
            req = reissue_of(body, await _plan(request, body, library=sources.library))
            pdf = await asyncio.to_thread(preview, req, sources)
            png = await asyncio.to_thread(_png, pdf)
        except HandoutError as e:
            return _problem(e)
        return Response(png, media_type="image/png")

    made: dict[str, Made] = {}  # what each plan was made into today: one file and one record per intent
    making = asyncio.Lock()  # a double click's second request waits, then finds the first one's file

    async def make(request: Request) -> Response:
        body = await _json(request)
        action = str(body.get("action") or "download")
        try:
            req = reissue_of(body, await _plan(request, body, output=settings.output, library=sources.library))
            email = str(body.get("email") or "").strip()
            if action == "email":
                from handouts.mail import check_address, ready

                if not email:
                    raise HandoutError("type the patient's email address", field="email")
                email = check_address(email)
                ready(sources.clinic)
            async with making:
                hist = history()
                try:
                    handout = await asyncio.to_thread(build_handout, req, sources)
                    key = fingerprint(handout)  # everything on the page, grayscale too
                    earlier = made.get(key)
                    if earlier is None or earlier.day != dt.date.today() or not earlier.path.is_file():
                        done = await asyncio.to_thread(issue, req, sources, hist, handout)
                        earlier = made[key] = Made(done.path, done.record_id, dt.date.today(), done.history_problem)
                        _forget_old(made)
                    password = None
                    if action == "email":
                        from handouts.mail import already_sent

                        sent_before = (email, earlier.path.name) in already_sent(earlier.path.parent)
                        if sent_before and body.get("confirm_resend") is not True:
                            return JSONResponse(
                                {
                                    "confirm": f"This handout was already emailed to {email}. Send it again?",
                                    "field": "email",
                                },
                                status_code=409,
                            )
                        delivery, problem = await asyncio.to_thread(
                            deliver_and_note, sources.clinic, earlier.path, email, hist, earlier.record_id, handout.lang
                        )
                        password = delivery.password
                        earlier.problem = earlier.problem or problem
                finally:
                    if hist is not None:
                        hist.close()
        except HandoutError as e:
            return _problem(e)
        token = files.put(earlier.path)
        return JSONResponse(
            {
                "file": f"/files/{token}",
                "name": earlier.path.name,
                "warning": for_the_page(earlier.problem),
                "emailed": action == "email",
                "password": password,
            }
        )

    async def pdf_file(request: Request) -> Response:
        path = files.get(request.path_params["token"])
        if path is None or not path.is_file():
            return JSONResponse({"error": "that handout is no longer here; make it again"}, status_code=404)
        disposition = "attachment" if request.query_params.get("download") else "inline"
        return FileResponse(path, media_type="application/pdf", filename=path.name, content_disposition_type=disposition)

    async def patients(request: Request) -> Response:
        return page(request, "patients.html")

    async def patient_search(request: Request) -> Response:
        """One row per patient: the latest handout, and the last log brought back."""
        body = await _json(request)
        hist = history()
        if hist is None:
            return JSONResponse({"error": "the history is switched off"}, status_code=400)
        with hist:
            try:
                found = await asyncio.to_thread(hist.latest, 500, str(body.get("q", "")))
            except HistoryError as e:
                return JSONResponse({"error": for_the_page(str(e))}, status_code=500)
        rows: dict[str, dict[str, Any]] = {}
        for r in found:  # newest first: the first record of a patient is their latest handout
            key = r.patient_id or patient_key(r.patient)
            row = rows.get(key)
            if row is None:
                row = rows[key] = {
                    "id": r.id,
                    "patient": r.patient,
                    "patient_id": r.patient_id,
                    "issued": r.issued_at[:10],
                    "program": clinician_title(r, sources.library, sources.clinic.lang),
                    "count": len(r.doses),
                    "handouts": 0,
                    "returned": "",
                }
            row["handouts"] += 1
            if r.adherence and not row["returned"]:
                last = r.adherence[-1]
                row["returned"] = f"{last.at[:10]}: {last.done} of {last.planned} sessions"
        return JSONResponse(list(rows.values())[:50])

    async def reprint(request: Request) -> Response:
        """An earlier handout printed again as it was given: its own file while it is unchanged, else
        made again from its record (same plan, start and date given), without a second record."""
        record = _record(history(), int(request.path_params["record_id"]))
        if record is None:
            return RedirectResponse("/patients", status_code=303)
        try:
            path = await asyncio.to_thread(_reprinted, record, sources, settings.output)
        except HandoutError as e:
            return JSONResponse({"error": for_the_page(str(e))}, status_code=422)
        return FileResponse(path, media_type="application/pdf", filename=path.name, content_disposition_type="inline")

    async def patient_page(request: Request) -> Response:
        hist = history()
        if hist is None:
            return RedirectResponse("/patients", status_code=303)
        with hist:  # one file opened once: the handout asked for, then every handout of its patient
            record_id = int(request.path_params["record_id"])
            record = hist.get(record_id) if 0 < record_id < MAX_RECORD_ID else None
            if record is None:
                return RedirectResponse("/patients", status_code=303)
            records = hist.patient(record.patient_id or record.patient)
        return page(
            request,
            "patient.html",
            records=records,
            latest=records[0],
            summaries={r.id: summary_text(r, sources.library, sources.clinic.lang) for r in records},
            titles={r.id: clinician_title(r, sources.library, sources.clinic.lang) for r in records},
            dose_summary=load_wording(sources.clinic.lang).summary,
        )

    async def record_json(request: Request) -> Response:
        record = _record(history(), int(request.path_params["record_id"]))
        if record is None:
            return JSONResponse({"error": "no such handout in the history"}, status_code=404)
        return JSONResponse(_record_json(record))

    async def workshop(request: Request) -> Response:
        return page(request, "workshop.html")

    async def returned(request: Request) -> Response:
        return page(request, "returned.html", ready=returns.ready())

    async def returned_upload(request: Request) -> Response:
        return await returns.upload(request)

    async def workshop_upload(request: Request) -> Response:
        return await workshops.upload(request)

    async def workshop_status(request: Request) -> Response:
        return workshops.status(request.path_params["job"])

    async def workshop_file(request: Request) -> Response:
        return workshops.file(request.path_params["job"], request.path_params["kind"])

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "login.html", error="")
        address = security.client_address(request)
        form = await request.form()
        if not security.csrf_ok(request, str(form.get("csrf", ""))):
            return page(request, "login.html", error="The page was out of date; try again.")
        if guard.too_many_tries(address):
            response = page(request, "login.html", error="Too many tries. Wait five minutes, then try again.")
            response.status_code = 429
            return response
        if not settings.password or not guard.check_password(address, str(form.get("password", ""))):
            response = page(request, "login.html", error="That password is not right.")
            response.status_code = 401
            return response
        guard.sign_in(request)
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        guard.sign_out(request)
        return RedirectResponse("/login" if settings.password else "/", status_code=303)

    routes = [
        Route("/", builder),
        Route("/api/exercises", exercises),
        Route("/api/starts", starts),
        Route("/api/start", start_plan, methods=["POST"]),
        Route("/api/favourites", save_favourite, methods=["POST"]),
        Route("/figures/{ex_id}.svg", figure),
        Route("/api/preview", preview_image, methods=["POST"]),
        Route("/api/handout", make, methods=["POST"]),
        Route("/files/{token}", pdf_file),
        Route("/patients", patients),
        Route("/api/patients", patient_search, methods=["POST"]),
        Route("/patients/{record_id:int}", patient_page),
        Route("/patients/{record_id:int}/reprint", reprint),
        Route("/api/record/{record_id:int}", record_json),
        Route("/workshop", workshop),
        Route("/api/workshop", workshop_upload, methods=["POST"]),
        Route("/api/workshop/{job}", workshop_status),
        Route("/workshop/{job}/{kind}", workshop_file),
        Route("/returned", returned),
        Route("/api/returned", returned_upload, methods=["POST"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(CalmErrors),
        Middleware(security.SecurityHeaders),
        Middleware(security.HostGuard, hosts=security.allowed_hosts(settings.host, settings.allowed_hosts)),
        Middleware(BodyLimit, limits=UPLOAD_LIMITS),
        Middleware(SessionMiddleware, **security.session_options(settings.secret, settings.password)),
        Middleware(BaseHTTPMiddleware, dispatch=guard),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        workshops.close()  # the patients' PDFs of every workshop leave the temporary directory with the server

    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_PLAN_BYTES:
        raise HandoutError("the plan is too large")
    import json

    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return {}
    return clean_text(data) if isinstance(data, dict) else {}


async def _plan(
    request: Request, body: dict[str, Any] | None = None, output: Path | None = None, library: Library | None = None
) -> HandoutRequest:
    """The form's plan as a HandoutRequest; each dose goes through the same shorthand parser as the CLI."""
    body = body if body is not None else await _json(request)
    choices: list[Choice] = []
    loads: list[tuple[str, str]] = []
    for item in body.get("exercises") or []:
        if not isinstance(item, dict):
            continue
        ex_id = str(item.get("id", ""))
        known = library.exercises.get(ex_id) if library is not None else None
        token = dose_token(item, known.title if known is not None else ex_id)
        choices.append(parse_choice(f"{ex_id}:{token}" if token else ex_id))
        if str(item.get("load", "")).strip():
            loads.append((ex_id, " ".join(str(item["load"]).split())))
    if not choices:
        raise HandoutError("add at least one exercise", field="exercises")
    start = None
    if body.get("start"):
        try:
            start = dt.date.fromisoformat(str(body["start"]))
        except ValueError:
            raise HandoutError(f'"{body["start"]}" is not a date', field="start") from None
    return HandoutRequest(
        patient=str(body.get("patient", "")),
        patient_id=str(body.get("patient_id", "")),
        choices=tuple(choices),
        loads=tuple(loads),
        note=str(body.get("note", "")),
        start=start,
        paper=str(body.get("paper", "letter")),
        grayscale=bool(body.get("grayscale")),
        lang=str(body.get("lang") or "") or None,
        output=output,
    )


@dataclasses.dataclass
class Made:
    """A plan made into a file today: Download, Print and Email of it share the file and the record."""

    path: Path
    record_id: int | None
    day: dt.date
    problem: str = ""


MAX_MADE = 500


def _forget_old(made: dict[str, Made]) -> None:
    """Yesterday's plans are made afresh (a new day on the sheet); and a busy page keeps at most MAX_MADE."""
    today = dt.date.today()
    for key in [k for k, m in made.items() if m.day != today]:
        del made[key]
    while len(made) > MAX_MADE:
        del made[next(iter(made))]


def _reprinted(record: Record, sources: Sources, output: Path) -> Path:
    """The recorded file while it still has the bytes it was given with; else the same handout made again."""
    from handouts.output import holds
    from handouts.pipeline import produce
    from handouts.request import again_request

    recorded = Path(record.path)
    if recorded.is_file() and holds(recorded, record.sha256):
        return recorded
    request = dataclasses.replace(again_request(record, [], start=record.start), output=output)
    handout = dataclasses.replace(build_handout(request, sources), issued=dt.date.fromisoformat(record.issued_at[:10]))
    path, _ = produce(handout, output / f"reprint-{record.id}.pdf", force=True)
    return path


def is_sample(clinic_file: Path | None) -> bool:
    """The clinic file is the shipped sample, or a copy of it not yet edited: its name and phone are on every sheet."""
    from handouts.paths import DEFAULT_CLINIC

    if clinic_file is None:
        return True
    try:
        return clinic_file.resolve() == DEFAULT_CLINIC.resolve() or clinic_file.read_bytes() == DEFAULT_CLINIC.read_bytes()
    except OSError:
        return False


def _problem(e: HandoutError) -> JSONResponse:
    return JSONResponse({"error": for_the_page(str(e)), "field": e.field}, status_code=422)


def _png(pdf: bytes) -> bytes:
    import pypdfium2

    with _PDFIUM:
        doc = pypdfium2.PdfDocument(pdf)
        try:
            image = doc[0].render(scale=PREVIEW_DPI / 72).to_pil()
        finally:
            doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def _exercise_json(ex: Any) -> dict[str, Any]:
    d = ex.dose
    amount = d.seconds or d.reps or (1, 1)
    return {
        "id": ex.id,
        "title": ex.title,
        "region": list(ex.region),
        "equipment": list(ex.equipment),
        "summary": dose_summary(d),
        "sets": _span(d.sets),
        "amount": _span(amount),
        "unit": "seconds" if d.seconds else "reps",
        "rpe": d.rpe.replace("\u2013", "-"),
        "per_week": str(d.per_week),
        "load": d.load,
        "figure": f"/figures/{ex.id}.svg" if ex.figure is not None and ex.picture is None else "",
    }


def _span(r: tuple[int, int]) -> str:
    return str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"


def _record(hist: History | None, record_id: int) -> Record | None:
    if hist is None or not 0 < record_id < MAX_RECORD_ID:
        return None
    with hist:
        return hist.get(record_id)


def _record_json(record: Record) -> dict[str, Any]:
    return {
        "patient": record.patient,
        "patient_id": record.patient_id,
        "note": record.note,
        "paper": record.paper,
        "lang": record.lang,
        "exercises": [
            {
                "id": d.exercise_id,
                "title": d.title,
                "sets": _span(d.dose.sets),
                "amount": _span(d.dose.seconds or d.dose.reps or (1, 1)),
                "unit": "seconds" if d.dose.seconds else "reps",
                "rpe": d.dose.rpe.replace("\u2013", "-"),
                "per_week": str(d.dose.per_week),
                "load": d.dose.load,
            }
            for d in record.doses
        ],
    }
