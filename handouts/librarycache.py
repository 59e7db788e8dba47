"""The validated library kept between runs, so a large library costs a cold `make` almost nothing.

Parsing and checking the starter library's TOML is about 5 ms of every cold start;
reading it back from the user's cache directory is well under one. The cache is keyed
by each file's path, size and modification time, and only a library that passed every
check is stored, so a file edited by hand is always read and checked again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from handouts.models import Library

FORMAT = 5  # bump when the models change shape


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def _cache_file(directory: Path) -> Path | None:
    try:
        stamps = [_stamp(directory / name) for name in ("exercises.toml", "programs.toml")]
        stamps += [_stamp(p) for p in sorted(directory.glob("exercises.*.toml"))]  # translations
    except OSError:
        return None  # a missing file: let the reader say so
    key = hashlib.sha256(repr((FORMAT, str(directory.resolve()), stamps)).encode()).hexdigest()[:32]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "handouts" / f"library-{key}.pickle"


def cached(directory: Path) -> Library | None:
    path = _cache_file(directory)
    if path is None:
        return None
    try:
        library, pictures = pickle.loads(path.read_bytes())
        if not isinstance(library, Library) or any(_stamp(Path(p[0])) != p for p in pictures):
            return None  # a picture was replaced or removed since: check again
    except Exception:  # any unreadable cache entry just means "parse the TOML again"
        return None
    return library


def store(directory: Path, library: Library) -> None:
    """Best effort: a read-only home only costs the next run the parse."""
    path = _cache_file(directory)
    if path is None:
        return
    try:
        pictures = [_stamp(ex.picture) for ex in library.exercises.values() if ex.picture]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".library-")
        with os.fdopen(fd, "wb") as f:
            f.write(pickle.dumps((library, pictures), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass
