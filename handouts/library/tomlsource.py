"""Reading a TOML file so that every later complaint can name its line.

tomllib keeps no positions, so we scan the text once for table headers and keys;
that is enough to point a clinic at the line to fix.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handouts.errors import DataError, located

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_TOML_POS = re.compile(r"\s*\(at line (\d+), column \d+\)")


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        return name[1:-1]
    return name


@dataclass
class TomlSource:
    """A parsed TOML file plus where each table and key was written."""

    path: Path
    data: dict[str, Any]
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def line(self, *keys: str) -> int | None:
        """The line of the deepest of `keys` we know, so an error lands near its cause."""
        for depth in range(len(keys), 0, -1):
            found = self.lines.get(tuple(keys[:depth]))
            if found:
                return found
        return None

    def problem(self, keys: tuple[str, ...], message: str) -> None:
        self.problems.append(located(self.path, self.line(*keys), message))


def read_toml(path: Path) -> TomlSource:
    """Parse `path`; a syntax error becomes `file:line: message`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected a .toml file") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        pos = _TOML_POS.search(message)
        line = int(pos.group(1)) if pos else None
        if line is None and "end of document" in message:  # the parser ran off the end: name the last line
            line = max(1, len(text.rstrip("\n").splitlines()))
        message = _TOML_POS.sub("", message).replace(" (at end of document)", " at the end of the file")
        raise DataError(located(path, line, f"TOML syntax error: {message}")) from None
    return TomlSource(path, data, _index_lines(text))


def _index_lines(text: str) -> dict[tuple[str, ...], int]:
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            table = tuple(_unquote(p) for p in header.group(1).split("."))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(raw)
        if key:
            lines.setdefault(table + (_unquote(key.group(1)),), number)
    return lines
