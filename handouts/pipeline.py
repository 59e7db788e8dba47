"""The one way a handout is issued: compose, render, write, record, deliver.

`make`, `again`, each roster row of `batch` and the web page build a HandoutRequest
and come here, so a promise kept for one (atomic writes, nothing written on a bad
request, the history in step with the files) is kept for all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from handouts.compose import build
from handouts.errors import HandoutError
from handouts.library import load_clinic, load_library
from handouts.models import Clinic, Handout, Issue, Library
from handouts.output import remove_stale_parts, target_path, write_atomic
from handouts.pdf import render
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


def produce(handout: Handout, path: Path, force: bool, password: str | None = None) -> tuple[Path, str]:
    """Render and write one handout; returns the path written and the SHA-256 of its bytes."""
    data = render([handout])  # fully rendered before anything touches the disk
    if password is not None:
        from handouts.mail import encrypt_pdf

        data = encrypt_pdf(data, password)
    written = write_atomic(path, data, force=force)
    return written, hashlib.sha256(data).hexdigest()


def preview(request: HandoutRequest, sources: Sources) -> bytes:
    """The page as it would print, without writing or recording anything (the web page's preview)."""
    return render([build(sources.library, sources.clinic, request)])


def issue(request: HandoutRequest, sources: Sources, history: History | None) -> Issued:
    """Issue one handout. A history that cannot record it never costs the PDF: the problem is
    returned in `history_problem` for the front end to show."""
    clinic = sources.clinic
    email_to = request.email_to
    if email_to is not None:  # every mail check that can fail, before anything is written
        from handouts.mail import check_address, ready

        email_to = check_address(email_to)
        if request.eml is None:
            ready(clinic)
    handout = build(sources.library, clinic, request)
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
        delivery, problem = _deliver(clinic, written, email_to, request, history, record_id, problem, handout.lang)
    return Issued(written, handout, sha256, record_id, delivery, problem)


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


def _deliver(clinic: Clinic, written: Path, email_to: str, request: HandoutRequest, history: History | None,
             record_id: int | None, problem: str, lang: str) -> tuple[Delivery, str]:
    from handouts.mail import deliver

    try:
        delivery = deliver(clinic, written, email_to, request.eml, request.protect, lang)
    except HandoutError as e:
        note_email(history, record_id, email_to, f"failed: {e}")
        raise
    result = f"draft written to {delivery.eml}" if delivery.eml else "sent"
    return delivery, problem or note_email(history, record_id, email_to, result)


def note_email(history: History | None, record_id: int | None, recipient: str, result: str) -> str:
    if history is None or record_id is None:
        return ""
    from handouts.history import HistoryError

    try:
        history.record_email(record_id, recipient, result)
    except HistoryError as e:
        return f"{e}\nthe email to {recipient} was not recorded in the history"
    return ""

