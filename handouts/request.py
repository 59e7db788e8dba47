"""`HandoutRequest`: everything a front end (command line, roster row, web form, reissue) asks for.

One value, so every front end only parses into it and the pipeline (pipeline.py) is the
one place that turns it into a written, recorded, delivered handout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from handouts.doses import Choice, parse_choice, parse_load


@dataclass(frozen=True, kw_only=True)
class HandoutRequest:
    patient: str
    patient_id: str = ""
    choices: tuple[Choice, ...] = ()          # the exercises typed, each with this patient's dose
    program_id: str | None = None             # with choices: the program's exercises, then the extras
    title: str = ""                           # a reissue keeps the title it was given
    file_tag: str = ""                        # ...and the program part of its file name
    loads: tuple[tuple[str, str], ...] = ()   # (exercise id, load advice) replacing the library's
    note: str = ""
    start: dt.date | None = None
    paper: str = "letter"
    grayscale: bool = False
    lang: str | None = None                   # None: the clinic's language
    large_print: bool = False                 # body type 14 pt or larger, or a refusal
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
