"""One patient's dose, typed right after the exercise id: `wall-calf-raise:3x12@8/2w`.

The syntax is the shorthand clinicians already write in their notes (sets x reps,
@ effort, / frequency). Anything not given keeps the library's value, so a
therapist types only what differs for this patient. A token that does not parse is
refused whole: a guessed dose on a patient's sheet is worse than an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from handouts.errors import UsageError
from handouts.models import Dose, Range

LIMITS = {"sets": (1, 10), "reps": (1, 100), "seconds": (1, 600), "rpe": (1, 10), "per_week": (1, 7)}
FORM = (
    "ID:SETSxREPS or ID:SETSxSECONDSs, each a number or a range, then optionally @RPE "
    "(7, 7+ or 8-9) and /daily or /Nw; e.g. wall-calf-raise:3x12@8 or hinge-plate:2x45-60s@7+/daily"
)

_NUM = r"\d{1,4}(?:-\d{1,4})?"
_DOSE = re.compile(
    rf"^(?:(?P<sets>{_NUM})[x×X](?P<amount>{_NUM})(?P<seconds>s)?)?"
    r"(?:@(?P<rpe>\d{1,2}(?:\+|-\d{1,2})?))?"
    r"(?:/(?P<often>daily|\d{1,2}w))?$"
)


@dataclass(frozen=True)
class DoseChange:
    """What this patient's dose changes; None keeps the library's value."""

    sets: Range | None = None
    reps: Range | None = None
    seconds: Range | None = None
    rpe: str | None = None
    per_week: int | None = None
    load: str | None = None

    def applied_to(self, dose: Dose) -> Dose:
        changed = dose
        if self.sets is not None:
            changed = replace(changed, sets=self.sets)
        if self.reps is not None:
            changed = replace(changed, reps=self.reps, seconds=None)
        if self.seconds is not None:
            changed = replace(changed, seconds=self.seconds, reps=None)
        if self.rpe is not None:
            changed = replace(changed, rpe=self.rpe)
        if self.per_week is not None:
            changed = replace(changed, per_week=self.per_week)
        if self.load is not None:
            changed = replace(changed, load=self.load)
        return changed

    def merged(self, later: DoseChange) -> DoseChange:
        """This change, then `later` on top (a reissue's new dose over the printed one)."""
        values = {
            k: getattr(later, k) if getattr(later, k) is not None else getattr(self, k)
            for k in ("sets", "reps", "seconds", "rpe", "per_week", "load")
        }
        if later.reps is not None:
            values["seconds"] = None
        if later.seconds is not None:
            values["reps"] = None
        return DoseChange(**values)


@dataclass(frozen=True)
class Choice:
    """One exercise on a patient's plan: its id and how this patient's dose differs."""

    exercise_id: str
    change: DoseChange = DoseChange()

    @property
    def token(self) -> str:
        """The choice as it would be typed again: `wall-calf-raise:3x12@8/2w`."""
        text = dose_text(self.change)
        return f"{self.exercise_id}:{text}" if text else self.exercise_id


def parse_choice(token: str) -> Choice:
    """`ID` or `ID:DOSE`; a malformed dose names the exact token and the expected form."""
    token = token.strip()
    ex_id, sep, dose = token.partition(":")
    if not ex_id:
        raise UsageError(f'"{token}" has no exercise id before the dose (expected {FORM})')
    if not sep:
        return Choice(ex_id)
    try:
        return Choice(ex_id, parse_dose(dose, token))
    except UsageError as e:
        raise UsageError(str(e), field=f"dose:{ex_id}") from None


def parse_dose(text: str, token: str) -> DoseChange:
    match = _DOSE.match(text.strip().lower().replace("×", "x"))
    if not text or not match:
        raise UsageError(f'dose "{token}" is not a dose I can read (expected {FORM})')
    g = match.groupdict()
    sets = _range(g["sets"], "sets", token)
    amount_kind = "seconds" if g["seconds"] else "reps"
    amount = _range(g["amount"], amount_kind, token)
    rpe = g["rpe"]
    if rpe is not None:
        levels = [int(v) for v in re.findall(r"\d+", rpe)]
        low, high = LIMITS["rpe"]
        if not all(low <= v <= high for v in levels) or (len(levels) == 2 and levels[0] >= levels[1]):
            raise UsageError(f'dose "{token}": effort "@{rpe}" must be from 1 to 10, low first (like @7, @7+ or @8-9)')
        rpe = rpe.replace("-", "\u2013")
    per_week: int | None = None
    if g["often"]:
        per_week = 7 if g["often"] == "daily" else int(g["often"][:-1])
        if not 1 <= per_week <= 7:
            raise UsageError(f'dose "{token}": "/{g["often"]}" must be /daily or from /1w to /7w (days a week)')
    return DoseChange(
        sets=sets,
        reps=amount if amount_kind == "reps" else None,
        seconds=amount if amount_kind == "seconds" else None,
        rpe=rpe,
        per_week=per_week,
    )


def _range(text: str | None, what: str, token: str) -> Range | None:
    if text is None:
        return None
    low_s, _, high_s = text.partition("-")
    low, high = int(low_s), int(high_s or low_s)
    least, most = LIMITS[what]
    if not least <= low <= high <= most:
        raise UsageError(f'dose "{token}": {what} "{text}" must be from {least} to {most}, low first')
    return (low, high)


def _span(r: Range) -> str:
    return str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"


def dose_text(change: DoseChange) -> str:
    """The typed form of a change (without its load, which travels as --load)."""
    text = ""
    amount = change.reps or change.seconds
    if change.sets is not None and amount is not None:
        text = f"{_span(change.sets)}x{_span(amount)}{'s' if change.seconds else ''}"
    if change.rpe:
        text += f"@{change.rpe.replace(chr(0x2013), '-')}"
    if change.per_week is not None:
        text += "/daily" if change.per_week >= 7 else f"/{change.per_week}w"
    return text


def full_change(dose: Dose) -> DoseChange:
    """The whole dose as a change: what a reissue holds on to when the library moves on."""
    return DoseChange(sets=dose.sets, reps=dose.reps, seconds=dose.seconds, rpe=dose.rpe, per_week=dose.per_week, load=dose.load)


def parse_load(option: str) -> tuple[str, str]:
    """`--load ID=TEXT`: new load advice for one exercise."""
    ex_id, sep, text = option.partition("=")
    if not sep or not ex_id.strip():
        raise UsageError(f'--load "{option}" is not ID=TEXT (e.g. --load wall-calf-raise="Hold a 5 kg dumbbell")')
    return ex_id.strip(), " ".join(text.split())
