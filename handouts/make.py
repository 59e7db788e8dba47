"""`handouts make` as a plain function: data files in, one PDF written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from handouts.compose import compose
from handouts.library import load_clinic, load_library
from handouts.output import target_path, write_atomic
from handouts.pdf import render


def make_handout(
    name: str,
    exercise_ids: Sequence[str] = (),
    *,
    program_id: str | None = None,
    start: dt.date | None = None,
    paper: str = "letter",
    output: Path | None = None,
    clinic_file: Path | None = None,
    library_dir: Path | None = None,
    force: bool = False,
    grayscale: bool = False,
    email_to: str | None = None,
    eml: Path | None = None,
    protect: bool = False,
) -> tuple[Path, Delivery | None]:
    """Write the handout; email it (or draft the email) when asked.

    Returns the path written and, when the PDF left by mail or got a password, what happened.
    """
    library = load_library(library_dir)
    clinic = load_clinic(clinic_file)
    if email_to is not None:  # every mail check that can fail, before anything is written
        from handouts.mail import check_address, ready

        email_to = check_address(email_to)
        if eml is None:
            ready(clinic)
    handout = compose(library, clinic, name, exercise_ids, program_id, start, paper, grayscale)
    path = target_path(output, handout)
    data = render([handout])  # fully rendered before anything touches the disk
    if protect and email_to is None:  # nothing leaves by mail: protect the file itself
        from handouts.mail import Delivery, encrypt_pdf, new_password

        password = new_password()
        return write_atomic(path, encrypt_pdf(data, password), force=force), Delivery(password)
    written = write_atomic(path, data, force=force)
    if email_to is None:
        return written, None
    from handouts.mail import deliver

    return written, deliver(clinic, written, email_to, eml, protect)


if TYPE_CHECKING:
    from handouts.mail import Delivery
