"""The errors a person can act on; the CLI and the web page map them to exit codes or fields."""

from __future__ import annotations

from collections.abc import Iterable


class HandoutError(Exception):
    """Root of everything the tool reports as a message instead of a traceback.

    `field` names what the person typed that caused it ("patient", "note", "lang",
    "exercises", "exercise:ID"), so the web page can show the message beside it.
    """

    exit_code = 1

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class DataError(HandoutError):
    """A data file, roster row or image is wrong: exit 1."""


class UsageError(HandoutError):
    """An argument on the command line is wrong: exit 2."""

    exit_code = 2


class DoesNotFit(DataError):
    """The chosen exercises cannot share one page."""


class Terminated(BaseException):
    """SIGTERM, raised where the program is so it unwinds (and cleans up) as Ctrl-C does."""


def located(path: object, line: int | None, message: str) -> str:
    """`file:line: message`, the form editors and terminals make clickable."""
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' or nothing: the cheapest help for a typo."""
    import difflib  # only when a typo needs the help

    options = list(choices)
    started = [c for c in options if word and c.startswith(word)]  # "wall-calf" was "wall-calf-raise"
    close = (started + [c for c in difflib.get_close_matches(word, options, n=3, cutoff=0.6) if c not in started])[:3]
    if not close:
        return ""
    return " (did you mean " + " or ".join(f'"{c}"' for c in close) + "?)"
