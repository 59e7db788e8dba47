"""Values kept between runs in the user's cache directory, keyed by what they are made from.

A cold `make` would otherwise re-read and re-check the library's TOML (about 7 ms),
load Babel for month names (about 35 ms) and import qrcode for the booking code (about
15 ms). Each entry's key is everything its value depends on: the source files' paths,
sizes and times, and the shape of what is stored (the fields of the models, or the code
of the function that made it), so an edited file or a new release is read afresh
without anyone remembering to bump a number. Every read and write is best effort: a
damaged entry or a read-only home only costs the next run the work.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from handouts.paths import cache_dir

Stamp = tuple[str, int, int]


def stamp(path: Path) -> Stamp:
    """A file as the cache knows it: where it is, when it changed, how big it is."""
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def stamps(paths: Iterable[Path]) -> list[Stamp] | None:
    """None when a file is missing: the reader then says so, the cache stays out of it."""
    try:
        return [stamp(p.resolve()) for p in paths]
    except OSError:
        return None


def shape(*types: type) -> str:
    """The fields (names and types) of the classes a cached value is made of."""
    parts = []
    for t in types:
        if dataclasses.is_dataclass(t):
            parts.append((t.__qualname__, [(f.name, str(f.type)) for f in dataclasses.fields(t)]))
        else:  # a NamedTuple
            parts.append((t.__qualname__, list(getattr(t, "__annotations__", {}).items())))
    return repr(parts)


def made_by(fn: Callable[..., Any]) -> str:
    """The code of the function that makes a value: change the function and old entries are never read."""
    code = fn.__code__
    return hashlib.blake2b(code.co_code + repr(code.co_consts).encode(), digest_size=8).hexdigest()


def entry(kind: str, *key: object) -> Path:
    digest = hashlib.sha256(repr((kind, key)).encode()).hexdigest()[:32]
    return cache_dir() / f"{kind}-{digest}"


def read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        pass


def get_value(path: Path | None, kind: type) -> Any:
    """A pickled value of `kind`, or None when absent, damaged, or a file it depends on has changed."""
    import pickle

    data = read(path) if path is not None else None
    if data is None:
        return None
    try:
        value, dependents = pickle.loads(data)
        if not isinstance(value, kind) or any(stamp(Path(d[0])) != tuple(d) for d in dependents):
            return None  # a picture or logo was replaced or removed since: check again
    except Exception:  # any unreadable entry just means "do the work again"
        return None
    return value


def put_value(path: Path | None, value: object, dependents: Iterable[Path] = ()) -> None:
    """Keep a value with the stamps of the files (pictures, a logo) it was checked against."""
    import pickle

    if path is None:
        return
    try:
        data = pickle.dumps((value, [stamp(p) for p in dependents]), protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        return
    write(path, data)
