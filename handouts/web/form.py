"""The builder's fields read as a therapist typed them, with each problem said in a therapist's
words and tied to the field it is about: never the command line's dose shorthand, an option's
name or a library's own message.

The fields are checked here one by one, then joined into the shorthand the shared parser reads,
so the page can never print what the command line would refuse.
"""

from __future__ import annotations

import re
from typing import Any

from handouts.doses import LIMITS
from handouts.errors import HandoutError

_NUMBER = re.compile(r"^(\d{1,4})(?:\s*[-–]\s*(\d{1,4}))?$")
_EFFORT = re.compile(r"^(\d{1,2})(?:\s*[-–]\s*(\d{1,2}))?(\+?)$")


def dose_token(item: dict[str, Any], title: str) -> str:
    """The form's dose fields as the shorthand `3x10-15@8/2w` (an empty field keeps the library's value)."""
    ex_id = str(item.get("id", ""))
    seconds = item.get("unit") == "seconds"
    sets = _count(item, "sets", "Sets", "how many sets", title, ex_id)
    amount = _count(item, "amount", "Seconds" if seconds else "Reps", "seconds" if seconds else "repetitions", title, ex_id)
    token = f"{sets}x{amount}{'s' if seconds else ''}" if sets or amount else ""
    if (sets or amount) and not (sets and amount):
        missing, label = ("sets", "Sets") if not sets else ("amount", "Seconds" if seconds else "Reps")
        raise HandoutError(
            f"{label} for {title}: fill this in too (both sets and {'seconds' if seconds else 'reps'} are printed)",
            field=f"dose:{ex_id}:{missing}",
        )
    rpe = str(item.get("rpe", "")).strip()
    if rpe:
        match = _EFFORT.match(rpe)
        low, high = LIMITS["rpe"]
        levels = [int(g) for g in match.groups()[:2] if g] if match else []
        if not match or not all(low <= v <= high for v in levels) or (len(levels) == 2 and levels[0] >= levels[1]):
            raise HandoutError(
                f'Effort (RPE) for {title}: "{rpe}" is not an effort level. Type a level from 1 to 10, like 7, 7+ or 8-9',
                field=f"dose:{ex_id}:rpe",
            )
        token += "@" + rpe.replace(" ", "").replace("–", "-")
    per_week = str(item.get("per_week", "")).strip().lower()
    if per_week:
        if per_week in ("7", "daily", "every day"):
            token += "/daily"
        elif per_week.isdigit() and LIMITS["per_week"][0] <= int(per_week) <= LIMITS["per_week"][1]:
            token += f"/{int(per_week)}w"
        else:
            raise HandoutError(
                f'Days a week for {title}: "{per_week}" is not a number of days. Type 1 to 7 (7 is every day)',
                field=f"dose:{ex_id}:per_week",
            )
    return token


def _count(item: dict[str, Any], key: str, label: str, what: str, title: str, ex_id: str) -> str:
    text = str(item.get(key, "")).strip()
    if not text:
        return ""
    match = _NUMBER.match(text)
    least, most = LIMITS["sets" if key == "sets" else ("seconds" if what == "seconds" else "reps")]
    if match:
        low, high = int(match[1]), int(match[2] or match[1])
        if least <= low <= high <= most:
            return f"{low}-{high}" if high != low else str(low)
        if low > high:
            raise HandoutError(
                f'{label} for {title}: "{text}" goes down; put the smaller number first, like {high}-{low}', field=f"dose:{ex_id}:{key}"
            )
    raise HandoutError(
        f'{label} for {title}: "{text}" is not {what} the sheet can print. Type a number from {least} to {most}, or a range like 10-15',
        field=f"dose:{ex_id}:{key}",
    )


# The command line's own hints, which mean nothing on the page
_COMMAND_HINTS = (
    (re.compile(r"; run `handouts [a-z]+` to list them"), ""),
    (re.compile(r" \(use --resend[^)]*\)"), ""),
    (re.compile(r"; add --resend to send it again"), ""),
    (re.compile(r" or use --eml to write a draft instead"), ""),
)


def for_the_page(message: str) -> str:
    """A shared message, without the command line's options and commands."""
    for pattern, replacement in _COMMAND_HINTS:
        message = pattern.sub(replacement, message)
    return message
