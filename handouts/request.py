"""`HandoutRequest`: everything a front end (command line, roster row, web form, reissue) asks for.

One value, so every front end only parses into it and the pipeline (pipeline.py) is the
one place that turns it into a written, recorded, delivered handout. A reissue (`again`
on the command line, Reissue on the web page) is built here too, from the history's
record: the plan as printed, not as the library says today, under the title it was
first given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from handouts.doses import Choice, full_change, parse_choice, parse_load
from handouts.errors import UsageError

if TYPE_CHECKING:
    from handouts.history import Record


@dataclass(frozen=True, kw_only=True)
class HandoutRequest:
    patient: str
    patient_id: str = ""
    choices: tuple[Choice, ...] = ()  # the exercises typed, each with this patient's dose
    program_id: str | None = None  # with choices: the program's exercises, then the extras
    title: str = ""  # a reissue keeps the title it was given
    file_tag: str = ""  # ...and the program part of its file name
    loads: tuple[tuple[str, str], ...] = ()  # (exercise id, load advice) replacing the library's
    note: str = ""
    start: dt.date | None = None
    paper: str = "letter"
    grayscale: bool = False
    lang: str | None = None  # None: the clinic's language
    large_print: bool = False  # body type 14 pt or larger, or a refusal
    figures: bool = True  # False: no drawings (the clinic's own photos still print)
    # where and how it leaves: not part of what is printed
    output: Path | None = None
    force: bool = False
    email_to: str | None = None
    eml: Path | None = None
    protect: bool = False


def choices_from(tokens: Iterable[str]) -> tuple[Choice, ...]:
    """`ID` or `ID:DOSE` tokens as typed on a command line or in a roster cell."""
    return tuple(parse_choice(t) for t in tokens if t.strip())


def loads_from(options: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple(parse_load(o) for o in options)


def reissued(request: HandoutRequest, record: Record) -> HandoutRequest:
    """A reissue keeps the program's title and file name part it was first printed under."""
    return replace(request, title=record.program_title, file_tag=record.program_id)


def again_request(
    record: Record,
    changes: Sequence[str],
    *,
    start: dt.date | None = None,
    note: str | None = None,
    loads: tuple[tuple[str, str], ...] = (),
    lang: str | None = None,
) -> HandoutRequest:
    """`ID:DOSE` changes a dose (or adds the exercise), `-ID` takes one off; the note carries over."""
    plan = {d.exercise_id: Choice(d.exercise_id, full_change(d.dose)) for d in record.doses}
    for token in changes:
        if token.startswith("-"):
            ex_id = token[1:]
            if ex_id not in plan:
                raise UsageError(f'"{token}": {ex_id} is not on {record.patient}\'s plan (expected one of: {", ".join(plan)})')
            del plan[ex_id]
            continue
        choice = parse_choice(token)
        known = plan.get(choice.exercise_id)
        plan[choice.exercise_id] = Choice(choice.exercise_id, known.change.merged(choice.change)) if known else choice
    if not plan:
        raise UsageError("every exercise was taken off; a handout needs at least one")
    request = HandoutRequest(
        patient=record.patient,
        patient_id=record.patient_id,
        choices=tuple(plan.values()),
        loads=loads,
        note=record.note if note is None else note,
        start=start,
        paper=record.paper,
        lang=lang or record.lang,
    )
    return reissued(request, record)
