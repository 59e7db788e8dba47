"""The clinic's world as plain values: exercises, doses, programs, a patient's handout."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from handouts.sheet import LOG_DAYS

Range = tuple[int, int]


@dataclass(frozen=True)
class Dose:
    """How much, how hard and how often, as the clinician prescribed it."""

    sets: Range
    reps: Range | None
    seconds: Range | None
    rpe: str
    per_week: int
    load: str = ""

    @property
    def lowest_rpe(self) -> int | None:
        digits = "".join(c if c.isdigit() else " " for c in self.rpe).split()
        return int(digits[0]) if digits else None


class Shape(NamedTuple):
    """One mark of an exercise's drawing, in the figure's own units (a head is about 1), y upwards."""

    kind: str  # "line": a round-capped stroke through the points; "disc": a filled circle; "poly": a filled shape
    points: tuple[tuple[float, float], ...]
    width: float  # a line's thickness, a disc's radius (0 for a poly)
    tone: str  # body, far, start, start-far, prop, prop-fill, band, arrow, floor: coloured when drawn


Mark = tuple[str, str, float, tuple[float, ...]]  # a Shape kept flat: kind, tone, width, x0, y0, x1, y1...


@dataclass(frozen=True)
class Figure:
    """An exercise's drawing, made from its poses: what the card, the contact sheet and the web page show.

    Its shapes are kept as plain tuples (marks): the library is cached with every drawing in
    it, and plain tuples load from the cache in half the time of named ones."""

    shapes: tuple[Mark, ...]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of what is shown (a close-up shows part of it)
    start: tuple[tuple[str, float, float], ...] = ()  # each named point of the start pose...
    end: tuple[tuple[str, float, float], ...] = ()  # ...and of the end pose, for the tests and `check`
    base: str = ""
    close_up: bool = False  # the box crops the drawing to one part (a hand, an ankle, the head)

    def marks(self) -> Iterator[Shape]:
        for kind, tone, width, flat in self.shapes:
            yield Shape(kind, tuple(zip(flat[::2], flat[1::2], strict=True)), width, tone)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    cues: tuple[str, ...]
    dose: Dose
    short: str = ""
    picture: Path | None = None
    line: int = field(default=0, compare=False)  # where it is defined, for messages
    region: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    position: str = ""
    figure: Figure | None = None  # a drawing from figures.toml; a photo (picture) is shown instead when there is one

    @property
    def log_label(self) -> str:
        return self.short or self.title


@dataclass(frozen=True)
class Program:
    id: str
    title: str
    exercise_ids: tuple[str, ...]


class ExerciseText(NamedTuple):  # a plain record: a NamedTuple costs a sixth of a dataclass at start-up
    """An exercise's words in another language (from exercises.LANG.toml)."""

    title: str
    cues: tuple[str, ...]
    short: str = ""
    load: str = ""
    line: int = 0


@dataclass(frozen=True)
class Library:
    """Everything read from a library directory, already validated."""

    exercises: dict[str, Exercise]
    programs: dict[str, Program]
    default_program: str
    source: Path
    translations: dict[str, dict[str, ExerciseText]] = field(default_factory=dict)  # lang -> id -> text
    program_titles: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> id -> title
    leftovers: tuple[str, ...] = ()  # translations of exercises or programs no longer there, for `check`


@dataclass(frozen=True)
class EmailSettings:
    """The clinic's own mail server; the password comes only from the environment."""

    host: str
    port: int
    security: str  # "starttls", "ssl" or "none" (loopback only)
    sender: str
    username: str = ""
    reply_to: str = ""
    subject: str = ""
    body: str = ""
    cafile: Path | None = None  # a private CA or self-signed server certificate
    encrypt: bool = False  # always protect attachments with a password
    deadline: float = 60.0  # seconds for one whole message, connect to final answer


class ClinicText(NamedTuple):  # a plain record: a NamedTuple costs a sixth of a dataclass at start-up
    """The clinic's own words on a sheet in one more language (the [es] table of clinic.toml)."""

    safety: str
    qr_caption: str = ""
    rpe_legend: tuple[tuple[str, str], ...] = ()
    email_subject: str = ""
    email_body: str = ""


@dataclass(frozen=True)
class Clinic:
    name: str
    clinician: str
    credentials: str
    phone: str
    safety: str
    rpe_legend: tuple[tuple[str, str], ...] = ()  # the clinic's words for any level; the rest from the wording
    qr_caption: str = ""  # empty: the wording's default caption
    booking_url: str = ""
    logo: Path | None = None
    brand_color: str = "#1d4e6e"
    source: Path | None = None
    grayscale: bool = False
    email: EmailSettings | None = None
    lang: str = "en"  # the sheet's language when none is asked for
    region: str = "US"  # from clinic.toml's locale ("en-US"): how dates are written (December 2, 2026)
    texts: tuple[tuple[str, ClinicText], ...] = ()  # the clinic's words in other languages

    @property
    def signed(self) -> str:
        """'Thomas Bilodeau, PT, DPT': how clinicians sign their name."""
        return f"{self.clinician}, {self.credentials}" if self.credentials else self.clinician

    @property
    def qr_target(self) -> str:
        """The booking page when there is one; otherwise a tap-to-call link."""
        if self.booking_url:
            return self.booking_url
        digits = "".join(c for c in self.phone if c.isdigit() or c == "+")
        if not digits.startswith("+") and len(digits) == 10:
            digits = "+1" + digits  # a bare 10-digit number is North American
        return f"tel:{digits}"


@dataclass(frozen=True)
class Handout:
    """One patient's sheet: who, what, from when, on which paper."""

    patient: str
    program_title: str
    program_id: str
    exercises: tuple[Exercise, ...]
    clinic: Clinic
    start: dt.date
    issued: dt.date
    paper: str = "letter"
    grayscale: bool = False
    note: str = ""
    patient_id: str = ""
    lang: str = "en"
    large_print: bool = False

    @property
    def log_days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(LOG_DAYS)]

    @property
    def sheet_number(self) -> str:
        """Nine digits from what the sheet says: the same sheet printed twice has one number."""
        import hashlib  # only when a sheet is drawn or recorded

        parts = [
            self.patient,
            self.patient_id,
            self.start.isoformat(),
            self.issued.isoformat(),
            self.paper,
            self.lang,
            self.program_id,
            self.note,
            self.clinic.name,
        ]
        parts += [f"{ex.id}:{ex.dose!r}" for ex in self.exercises]
        digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 10**9:09d}"


class Issue(NamedTuple):  # a plain record: a NamedTuple costs a sixth of a dataclass at start-up
    """A handout whose PDF is in place, as the history records it."""

    handout: Handout
    path: Path
    sha256: str


def today() -> dt.date:
    """Today, or the day SOURCE_DATE_EPOCH names, so reproducible builds stay reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def luminance(red: float, green: float, blue: float) -> float:
    """How light a colour prints in grey (0 black, 1 white), from channels in 0..1 (Rec. 709)."""
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def tidy(text: str) -> str:
    """Text as it should print: NFC (accents typed as combining marks join their letter),
    no control or invisible format characters (a pasted name can carry a bidi override or
    a zero-width space), and single spaces."""
    if text.isascii() and text.isprintable() and "  " not in text and text == text.strip():
        return text  # the common case, checked cheaply: a large library has thousands of these
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c.isspace() else c for c in text if unicodedata.category(c) != "Cf"
    )
    return " ".join(kept.split())
