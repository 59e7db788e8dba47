"""From a HandoutRequest (a name, exercises with this patient's doses, a program) to a Handout."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from handouts.doses import Choice, DoseChange
from handouts.errors import DataError, UsageError, suggest
from handouts.library.load import MAX_EXERCISES
from handouts.models import Clinic, Exercise, Handout, Library, tidy, today
from handouts.request import HandoutRequest, choices_from
from handouts.sheet import LOG_DAYS
from handouts.wording import DEFAULT as DEFAULT_LANG
from handouts.wording import load as load_wording

PAPERS = ("letter", "a4")
MAX_NAME = 120
MAX_NOTE = 600
MAX_PATIENT_ID = 40
CUSTOM = "custom"


LAST_START = dt.date.max - dt.timedelta(days=LOG_DAYS)  # the log's last day and the day after still exist


def build(library: Library, clinic: Clinic, req: HandoutRequest) -> Handout:
    """Resolve the request against the library; every mistake names the bad value and the way out."""
    patient = tidy(req.patient)
    if not patient:
        raise UsageError("the patient name is empty (expected the name as it should be printed)", field="patient")
    if len(patient) > MAX_NAME:
        raise UsageError(f"the patient name is {len(patient)} characters; at most {MAX_NAME} fit on the page", field="patient")
    patient_id = tidy(req.patient_id)
    if len(patient_id) > MAX_PATIENT_ID:
        raise UsageError(
            f'the patient id "{patient_id[:20]}…" is {len(patient_id)} characters; at most {MAX_PATIENT_ID}', field="patient_id"
        )
    if req.paper not in PAPERS:
        raise UsageError(f'unknown paper "{req.paper}" (expected letter or a4)', field="paper")
    note = tidy(req.note)
    if len(note) > MAX_NOTE:
        raise UsageError(f"the note is {len(note)} characters; at most {MAX_NOTE} fit on a page", field="note")
    if req.program_id is not None and req.program_id not in library.programs:
        raise UsageError(
            f'unknown program "{req.program_id}"{suggest(req.program_id, library.programs)}; run `handouts programs` to list them',
            field="program",
        )
    program = library.programs[req.program_id or library.default_program]
    plan = _plan(req, program.exercise_ids)
    unknown = [c.exercise_id for c in plan if c.exercise_id not in library.exercises]
    if unknown:
        bad = unknown[0]
        raise UsageError(
            f'unknown exercise "{bad}"{suggest(bad, library.exercises)}; run `handouts exercises` to list them', field=f"exercise:{bad}"
        )
    if len(plan) > MAX_EXERCISES:
        raise DataError(f"{len(plan)} exercises do not fit on one page; choose at most {MAX_EXERCISES}", field="exercises")
    loads = dict(req.loads)
    for ex_id in loads:
        if ex_id not in {c.exercise_id for c in plan}:
            raise UsageError(
                f'--load names "{ex_id}", which is not on this plan (expected one of: {", ".join(c.exercise_id for c in plan)})',
                field=f"exercise:{ex_id}",
            )
    if req.start is not None and req.start > LAST_START:
        raise UsageError(
            f"a log starting {req.start.isoformat()} would run past the calendar's last day; "
            f"expected a start date up to {LAST_START.isoformat()}",
            field="start",
        )
    lang = (req.lang or clinic.lang).strip().lower()  # "ES" as typed is Spanish, as "A4" is A4
    words = load_wording(lang)
    exercises = []
    for choice in plan:
        ex = _in_language(library, library.exercises[choice.exercise_id], lang, words.table["language"])
        change = dataclasses.replace(choice.change, load=loads.get(ex.id, choice.change.load))
        if change != DoseChange():
            ex = dataclasses.replace(ex, dose=change.applied_to(ex.dose))
        if not req.figures and ex.figure is not None:
            ex = dataclasses.replace(ex, figure=None)
        exercises.append(ex)
    from_program = req.program_id is not None or not req.choices
    program_title = program.title
    if lang != DEFAULT_LANG and from_program and not req.title:
        program_title = library.program_titles.get(lang, {}).get(program.id, "")
        if not program_title:
            raise DataError(
                f'program "{program.id}" has no {words.table["language"]} title; add it under [programs] in exercises.{lang}.toml',
                field="lang",
            )
    return Handout(
        patient=patient,
        program_title=req.title or (program_title if from_program else words("custom_title")),
        program_id=req.file_tag or (program.id if from_program else CUSTOM),
        exercises=tuple(exercises),
        clinic=clinic,
        start=req.start or today(),
        issued=today(),
        paper=req.paper,
        grayscale=req.grayscale or clinic.grayscale,
        note=note,
        patient_id=patient_id,
        lang=lang,
        large_print=req.large_print,
    )


def _in_language(library: Library, ex: Exercise, lang: str, language: str) -> Exercise:
    """The exercise in the sheet's language; one without that text is refused, never mixed in."""
    if lang == DEFAULT_LANG:
        return ex
    text = library.translations.get(lang, {}).get(ex.id)
    if text is None or (ex.dose.load and not text.load):
        what = "text" if text is None else "load advice"
        raise DataError(
            f'exercise "{ex.id}" has no {language} {what}; add it to exercises.{lang}.toml '
            f"in {library.source} or print this sheet in another language",
            field=f"exercise:{ex.id}",
        )
    return dataclasses.replace(ex, title=text.title, short=text.short, cues=text.cues, dose=dataclasses.replace(ex.dose, load=text.load))


def _plan(req: HandoutRequest, program_ids: Sequence[str]) -> list[Choice]:
    """The exercises in page order: a program's first (with any dose typed for them), then the extras."""
    typed = [c.exercise_id for c in req.choices]
    repeated = sorted({i for i in typed if typed.count(i) > 1})
    if repeated:
        raise UsageError(f'exercise "{repeated[0]}" is listed twice', field=f"exercise:{repeated[0]}")
    if req.choices and req.program_id is None:
        return list(req.choices)
    by_id = {c.exercise_id: c for c in req.choices}
    plan = [by_id.pop(i, Choice(i)) for i in program_ids]
    return plan + [c for c in req.choices if c.exercise_id in by_id]


def compose(
    library: Library,
    clinic: Clinic,
    patient: str,
    exercise_ids: Sequence[str] = (),
    program_id: str | None = None,
    start: dt.date | None = None,
    paper: str = "letter",
    grayscale: bool = False,
    lang: str | None = None,
) -> Handout:
    """A handout from plain arguments: the short form tests and benchmarks use."""
    return build(
        library,
        clinic,
        HandoutRequest(
            patient=patient,
            choices=choices_from(exercise_ids),
            program_id=program_id,
            start=start,
            paper=paper,
            grayscale=grayscale,
            lang=lang,
        ),
    )
