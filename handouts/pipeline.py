"""The one way a handout is issued, in named stages: build and name, produce, record, deliver and note.

`make`, `again`, `email`, each roster row of `batch` and every route of the web page
build a HandoutRequest (or hold a written handout) and come through these stages, so a
promise kept for one (atomic writes, nothing written on a bad request, the history in
step with the files, an email noted against its handout) is kept for all. `issue` runs
them in order for one handout; `batch` runs the same stages over many, in parallel.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from handouts.compose import build
from handouts.errors import HandoutError, UsageError, suggest
from handouts.library.load import load_clinic, load_library
from handouts.models import Clinic, Handout, Issue, Library
from handouts.output import remove_stale_parts, target_path, write_atomic
from handouts.render.pdf import render
from handouts.request import HandoutRequest

if TYPE_CHECKING:  # the history (and sqlite3) load only when a history is in use: start-up time
    from handouts.history import History
    from handouts.mail import Delivery


@dataclass(frozen=True)
class Sources:
    """The library and clinic a request is resolved against; loaded once per process."""

    library: Library
    clinic: Clinic

    @classmethod
    def load(cls, library_dir: Path | None = None, clinic_file: Path | None = None) -> Sources:
        return cls(load_library(library_dir), load_clinic(clinic_file))


class Issued(NamedTuple):
    """What happened: the file written, its record, its delivery, and any history problem."""

    path: Path
    handout: Handout
    sha256: str
    record_id: int | None = None
    delivery: Delivery | None = None
    history_problem: str = ""


# ---- stage 1: build and name -------------------------------------------------------------


def build_handout(request: HandoutRequest, sources: Sources) -> Handout:
    """The request resolved against the library and clinic: every check that can refuse it, nothing written."""
    return build(sources.library, sources.clinic, request)


def fingerprint(handout: Handout, email: str = "") -> str:
    """Everything that reaches the page (not the day it was made, nor the clinic's mail settings or where
    its file lies), so a rerun remakes exactly the changed rows."""
    clinic = dataclasses.replace(handout.clinic, email=None, source=None)
    page = dataclasses.replace(handout, issued=handout.start, clinic=clinic)
    return hashlib.blake2b(repr((page, email)).encode(), digest_size=12).hexdigest()


# ---- stage 2: produce ----------------------------------------------------------------------


def produce(handout: Handout, path: Path, force: bool, password: str | None = None, versions: bool = False) -> tuple[Path, str]:
    """Render and write one handout; returns the path written and the SHA-256 of its bytes.
    `versions`: never over a file an earlier record may point to (see write_atomic)."""
    data = render([handout])  # fully rendered before anything touches the disk
    if password is not None:
        from handouts.mail import encrypt_pdf

        data = encrypt_pdf(data, password)
    written = write_atomic(path, data, force=force, versions=versions)
    return written, hashlib.sha256(data).hexdigest()


def produce_combined(pages: list[Handout], path: Path) -> Path:
    """Every good page in one document for a single print job: each font subset embedded once."""
    from handouts.wording import load

    words = load(pages[0].lang if pages else "en")
    data = render(pages, skip_bad=True, title=words("combined_title", count=len(pages)))
    return write_atomic(path, data, force=True)


def contact_sheet(
    library_dir: Path | None, clinic_file: Path | None, ids: tuple[str, ...], path: Path, force: bool, paper: str = "letter"
) -> Path:
    """`handouts figures`: the drawings of the exercises named (all when none are), with their titles."""
    from handouts.render.contact import contact_sheet as draw_sheet

    library = load_library(library_dir)
    clinic = load_clinic(clinic_file)
    unknown = [i for i in ids if i not in library.exercises]
    if unknown:
        raise UsageError(f'unknown exercise "{unknown[0]}"{suggest(unknown[0], library.exercises)}; `handouts exercises` lists them')
    chosen = [library.exercises[i] for i in ids] if ids else list(library.exercises.values())
    return write_atomic(path, draw_sheet(chosen, clinic.brand_color, paper), force=force)


def warm_up(qr_target: str) -> None:
    """Parse the fonts and encode the booking QR now, before worker processes fork and inherit them."""
    from handouts.render import booking_qr, fonts

    fonts.face(fonts.REGULAR)
    fonts.face(fonts.BOLD)
    if qr_target:
        booking_qr.dark_runs(qr_target)


def preview(request: HandoutRequest, sources: Sources) -> bytes:
    """The page as it would print, without writing or recording anything (the web page's preview)."""
    return render([build_handout(request, sources)])


# ---- stage 3: record -----------------------------------------------------------------------


def record(history: History | None, issues: list[Issue]) -> tuple[list[int], str]:
    """Record written handouts: their ids, or a problem to show (never an exception)."""
    if history is None or not issues:
        return [], ""
    from handouts.history import HistoryError

    try:
        return history.record(issues), ""
    except HistoryError as e:
        what = "the handout was" if len(issues) == 1 else f"{len(issues)} handouts were"
        return [], f"{e}\n{what} written but not recorded in the history"


# ---- stage 4: deliver and note -------------------------------------------------------------


def deliver_and_note(
    clinic: Clinic,
    written: Path,
    email_to: str,
    history: History | None,
    record_id: int | None,
    lang: str,
    *,
    eml: Path | None = None,
    protect: bool = False,
    resend: bool = True,
) -> tuple[Delivery, str]:
    """Email the written handout (or write the draft) and note the outcome against its record.

    A failure is noted too, then raised for the front end to report; the second value is
    a history problem to show, if noting failed."""
    from handouts.mail import deliver

    try:
        delivery = deliver(clinic, written, email_to, eml, protect, lang, resend=resend)
    except HandoutError as e:
        note_email(history, record_id, email_to, f"failed: {e}")
        raise
    result = f"draft written to {delivery.eml}" if delivery.eml else "sent"
    return delivery, note_email(history, record_id, email_to, result)


def email_written(
    clinic: Clinic,
    pdf: Path,
    to: str,
    history: History | None,
    lang: str | None = None,
    *,
    eml: Path | None = None,
    protect: bool = False,
    resend: bool = True,
) -> tuple[Delivery, str]:
    """`handouts email`: a handout made earlier, sent and noted against its record when the history knows
    the file (by its SHA-256), in the language it was printed in unless told otherwise."""
    record_id, printed_in, problem = None, "", ""
    try:
        data = pdf.read_bytes()
    except OSError:
        data = b""  # deliver() says what is wrong with the file
    if data and history is not None:
        from handouts.history import HistoryError

        try:
            found = history.by_sha256(hashlib.sha256(data).hexdigest())
        except HistoryError as e:
            found, problem = None, f"{e}\nthe email will not be recorded in the history"
        if found is not None:
            record_id, printed_in = found.id, found.lang
    lang = lang or printed_in or _pdf_language(data) or clinic.lang
    delivery, noted = deliver_and_note(clinic, pdf, to, history, record_id, lang, eml=eml, protect=protect, resend=resend)
    return delivery, problem or noted


def _pdf_language(data: bytes) -> str:
    """The document language every handout sets (/Lang (es-US) -> "es"), for a file the history never saw."""
    import re

    found = re.search(rb"/Lang \(([a-z]{2,3})[-)]", data)
    return found.group(1).decode() if found else ""


def note_email(history: History | None, record_id: int | None, recipient: str, result: str) -> str:
    if history is None or record_id is None:
        return ""
    from handouts.history import HistoryError

    try:
        history.record_email(record_id, recipient, result)
    except HistoryError as e:
        return f"{e}\nthe email to {recipient} was not recorded in the history"
    return ""


# ---- all four, for one handout ---------------------------------------------------------------


def issue(request: HandoutRequest, sources: Sources, history: History | None, built: Handout | None = None) -> Issued:
    """Issue one handout (`built`: the request already resolved, by a front end that needed it first).
    A history that cannot record it never costs the PDF: the problem is returned in
    `history_problem` for the front end to show."""
    clinic = sources.clinic
    email_to = request.email_to
    if email_to is not None:  # every mail check that can fail, before anything is written
        from handouts.mail import check_address, ready

        email_to = check_address(email_to)
        if request.eml is None:
            ready(clinic)
    handout = built if built is not None else build_handout(request, sources)
    path = target_path(request.output, handout)
    password: str | None = None
    if request.protect and email_to is None:  # nothing leaves by mail: protect the file itself
        from handouts.mail import new_password

        password = new_password()
    written, sha256 = produce(handout, path, request.force, password)
    remove_stale_parts(written.parent)
    ids, problem = record(history, [Issue(handout, written, sha256)])
    record_id = ids[0] if ids else None
    delivery: Delivery | None = None
    if password is not None:
        from handouts.mail import Delivery

        delivery = Delivery(password)
    if email_to is not None:
        delivery, noted = deliver_and_note(
            clinic, written, email_to, history, record_id, handout.lang, eml=request.eml, protect=request.protect
        )
        problem = problem or noted
    return Issued(written, handout, sha256, record_id, delivery, problem)


def make_handout(request: HandoutRequest, library_dir: Path | None, clinic_file: Path | None, history_file: Path | str | None) -> Issued:
    """`make` and `again`: the library and clinic from their files, the history opened for this one handout."""
    sources = Sources.load(library_dir, clinic_file)
    if history_file is None:
        return issue(request, sources, None)
    from handouts.history import History

    with History(history_file) as history:
        return issue(request, sources, history)
