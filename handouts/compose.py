"""From what the clinician typed (a name, ids or a program) to a Handout value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from handouts.errors import DataError, UsageError
from handouts.library import MAX_EXERCISES, suggest
from handouts.models import Clinic, Handout, Library, tidy, today

PAPERS = ("letter", "a4")
MAX_NAME = 120


def compose(
    library: Library,
    clinic: Clinic,
    patient: str,
    exercise_ids: Sequence[str] = (),
    program_id: str | None = None,
    start: dt.date | None = None,
    paper: str = "letter",
    grayscale: bool = False,
) -> Handout:
    """Resolve ids against the library; every mistake names the bad value and the way out."""
    patient = tidy(patient)
    if not patient:
        raise UsageError("the patient name is empty (expected the name as it should be printed)")
    if len(patient) > MAX_NAME:
        raise UsageError(f"the patient name is {len(patient)} characters; at most {MAX_NAME} fit on the page")
    if paper not in PAPERS:
        raise UsageError(f'unknown paper "{paper}" (expected letter or a4)')
    if program_id is not None and program_id not in library.programs:
        raise UsageError(f'unknown program "{program_id}"{suggest(program_id, library.programs)}; '
                         "run `handouts programs` to list them")
    program = library.programs[program_id or library.default_program]
    ids = list(exercise_ids) or list(program.exercise_ids)
    unknown = [i for i in ids if i not in library.exercises]
    if unknown:
        bad = unknown[0]
        raise UsageError(f'unknown exercise "{bad}"{suggest(bad, library.exercises)}; '
                         "run `handouts exercises` to list them")
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise UsageError(f'exercise "{duplicated[0]}" is listed twice')
    if len(ids) > MAX_EXERCISES:
        raise DataError(f"{len(ids)} exercises do not fit on one page; choose at most {MAX_EXERCISES}")
    title = program.title if not exercise_ids or program_id else "Your home exercises"
    return Handout(
        patient=patient,
        program_title=title,
        program_id=program.id if (program_id or not exercise_ids) else "custom",
        exercises=tuple(library.exercises[i] for i in ids),
        clinic=clinic,
        start=start or today(),
        issued=today(),
        paper=paper,
        grayscale=grayscale or clinic.grayscale,
    )

