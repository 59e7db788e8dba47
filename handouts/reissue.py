"""`handouts again`: a patient's latest plan, as printed, with this visit's changes.

The plan is rebuilt from the doses recorded in the history, not from today's library,
so a reissue prints what the patient was doing unless the therapist says otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from handouts.doses import Choice, full_change, parse_choice
from handouts.errors import UsageError
from handouts.history import Record
from handouts.request import HandoutRequest


def again_request(record: Record, changes: Sequence[str], *, start: dt.date | None = None,
                  note: str | None = None, loads: tuple[tuple[str, str], ...] = (),
                  lang: str | None = None) -> HandoutRequest:
    """`ID:DOSE` changes a dose (or adds the exercise), `-ID` takes one off; the note carries over."""
    plan = {d.exercise_id: Choice(d.exercise_id, full_change(d.dose)) for d in record.doses}
    for token in changes:
        if token.startswith("-"):
            ex_id = token[1:]
            if ex_id not in plan:
                raise UsageError(f'"{token}": {ex_id} is not on {record.patient}\'s plan '
                                 f"(expected one of: {', '.join(plan)})")
            del plan[ex_id]
            continue
        choice = parse_choice(token)
        known = plan.get(choice.exercise_id)
        plan[choice.exercise_id] = Choice(choice.exercise_id, known.change.merged(choice.change)) if known else choice
    if not plan:
        raise UsageError("every exercise was taken off; a handout needs at least one")
    return HandoutRequest(
        patient=record.patient, patient_id=record.patient_id, choices=tuple(plan.values()),
        title=record.program_title, file_tag=record.program_id, loads=loads,
        note=record.note if note is None else note, start=start, paper=record.paper, lang=lang or record.lang)
