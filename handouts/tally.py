"""What a read log means for the therapist: days ticked, weekly goals met, sessions done.

Plain values in, plain values out, so the counting is tested without a camera and the
CLI, the JSON and the history all count the same way. A session counts as done when
its box is ticked, up to the row's weekly goal (ticking a twice-a-week exercise every
day is not 7 of 2); unsure boxes are listed, never counted.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

from handouts.sheet import LOG_DAYS

if TYPE_CHECKING:
    from handouts.sheet import LogCode


class Row(NamedTuple):
    exercise: str
    goal: int  # sessions a week; 7 is every day
    ticked: list[int]  # days 0-13
    unsure: list[int]

    def week(self, w: int) -> int:
        return sum(1 for d in self.ticked if 7 * w <= d < 7 * w + 7)

    def met(self, w: int) -> bool:
        return self.week(w) >= self.goal

    @property
    def goal_text(self) -> str:
        """As the sheet says it: "every day", "2× a week"."""
        return "every day" if self.goal >= 7 else f"{self.goal}× a week"

    def week_text(self, w: int) -> str:
        """One week against the goal: "5 of 7", or "7, goal met"."""
        return f"{self.week(w)}, goal met" if self.met(w) else f"{self.week(w)} of {self.goal}"


class Tally(NamedTuple):
    rows: list[Row]

    @property
    def planned(self) -> int:
        return sum(2 * r.goal for r in self.rows)

    @property
    def done(self) -> int:
        return sum(min(r.week(w), r.goal) for r in self.rows for w in (0, 1))

    @property
    def unsure(self) -> int:
        return sum(len(r.unsure) for r in self.rows)

    def summary(self) -> str:
        """One line for the photo with its reading drawn on it."""
        return f"{self.done} of {self.planned} planned sessions done" + (f", {self.unsure} unsure" if self.unsure else "")


def percent(done: int, planned: int) -> str:
    return f"{round(100 * done / planned)}%" if planned else "nothing planned"


def tally(code: LogCode, boxes: list[list[bool | None]], titles: list[str]) -> Tally:
    """`titles` from the history when it knows the sheet (one per row), else rows are numbered."""
    titles = titles if len(titles) == code.rows else []
    return Tally(
        [
            Row(
                titles[n] if titles else f"Exercise {n + 1}",
                min(7, code.per_week[n]),
                [d for d, s in enumerate(row) if s is True],
                [d for d, s in enumerate(row) if s is None],
            )
            for n, row in enumerate(boxes)
        ]
    )


def as_json(photo: str, code: LogCode, t: Tally, patient: str | None, recorded: bool | None) -> dict[str, Any]:
    def dates(days: list[int]) -> list[str]:
        return [(code.start + dt.timedelta(days=d)).isoformat() for d in days]

    return {
        "photo": photo,
        "handout_id": code.sheet,
        "patient": patient,
        "start": code.start.isoformat(),
        "rows": [
            {
                "exercise": r.exercise,
                "goal_per_week": r.goal,
                "ticked": dates(r.ticked),
                "unsure": dates(r.unsure),
                "goal_met": [r.met(0), r.met(1)],
            }
            for r in t.rows
        ],
        "done": t.done,
        "planned": t.planned,
        "recorded": recorded,
    }


def as_text(photo: str, code: LogCode, t: Tally, patient: str | None, found_by: str) -> list[str]:
    end = code.start + dt.timedelta(days=LOG_DAYS - 1)
    who = f"{patient}, " if patient else ""
    lines = [f"{photo}: {who}sheet {spaced(code.sheet)}, log {_day(code.start)} to {_day(end)} (found by its {found_by})"]
    width = max(len(r.exercise) for r in t.rows) + 4
    for n, r in enumerate(t.rows, 1):
        weeks = "; ".join(f"week {w + 1}: {r.week_text(w)}" for w in (0, 1))
        lines.append(f"  {f'{n}. {r.exercise}':<{width}} goal {r.goal_text:<10} {weeks}")
        days = " ".join(_weekday(code.start, d) for d in r.ticked)
        lines.append(f"  {'':<{width}} ticked: {days or 'none'}")
    lines.append(f"  Done: {t.done} of {t.planned} planned sessions ({percent(t.done, t.planned)}).")
    if t.unsure:
        where = ", ".join(f"row {n} {_weekday(code.start, d)}" for n, r in enumerate(t.rows, 1) for d in r.unsure)
        lines.append(f"  Unsure: {t.unsure} box{'es' if t.unsure > 1 else ''} not counted ({where}); look at the sheet itself.")
    return lines


def spaced(sheet: str) -> str:
    return " ".join(sheet[i : i + 3] for i in range(0, len(sheet), 3))


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _weekday(start: dt.date, d: int) -> str:
    day = start + dt.timedelta(days=d)
    return f"{day:%a} {day.day}"
