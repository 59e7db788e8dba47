"""The validated library and clinic kept between runs, so a cold `make` does not re-read its TOML.

Parsing and checking the starter library is about 5 ms of every cold start, and
importing the TOML reader another 2; reading both back from the user's cache
directory is well under one. Entries are keyed by each source file's path, size and
modification time, and only data that passed every check is stored, so a file edited
by hand is always read and checked again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from handouts.models import Clinic, Library

FORMAT = 7  # bump when the models change shape


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def _cache_file(kind: str, sources: Iterable[Path]) -> Path | None:
    try:
        stamps = [_stamp(p.resolve()) for p in sources]
    except OSError:
        return None  # a missing file: let the reader say so
    key = hashlib.sha256(repr((FORMAT, kind, stamps)).encode()).hexdigest()[:32]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "handouts" / f"{kind}-{key}.pickle"


def _library_sources(directory: Path) -> list[Path]:
    return [directory / "exercises.toml", directory / "programs.toml", *sorted(directory.glob("exercises.*.toml"))]


def _get(path: Path | None, kind: type) -> Any:
    if path is None:
        return None
    try:
        value, dependents = pickle.loads(path.read_bytes())
        if not isinstance(value, kind) or any(_stamp(Path(d[0])) != tuple(d) for d in dependents):
            return None  # a picture or logo was replaced or removed since: check again
    except Exception:  # any unreadable cache entry just means "parse the TOML again"
        return None
    return value


def _put(path: Path | None, value: object, dependents: list[Path]) -> None:
    """Best effort: a read-only home only costs the next run the parse."""
    if path is None:
        return
    try:
        stamps = [_stamp(p) for p in dependents]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-")
        with os.fdopen(fd, "wb") as f:
            f.write(pickle.dumps((value, stamps), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass


def cached(directory: Path) -> Library | None:
    library: Library | None = _get(_cache_file("library", _library_sources(directory)), Library)
    return library


def store(directory: Path, library: Library) -> None:
    pictures = [ex.picture for ex in library.exercises.values() if ex.picture]
    _put(_cache_file("library", _library_sources(directory)), library, pictures)


def cached_clinic(path: Path) -> Clinic | None:
    clinic: Clinic | None = _get(_cache_file("clinic", [path, *_wording_files()]), Clinic)
    return clinic


def store_clinic(path: Path, clinic: Clinic) -> None:
    dependents = [p for p in (clinic.logo, clinic.email.cafile if clinic.email else None) if p]
    _put(_cache_file("clinic", [path, *_wording_files()]), clinic, dependents)


def _wording_files() -> list[Path]:
    """A clinic file is checked against the languages there are: a new wording file means a new check."""
    from handouts.wording import wording_dir

    return sorted(wording_dir().glob("*.toml"))
