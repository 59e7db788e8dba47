"""The booking QR code as a grid of modules, computed once per target.

A clinic's booking link never changes between handouts, and encoding it (with the
import of qrcode) is about 15 ms of a 100 ms cold start; so the grid is kept in
memory for a batch and in the user's cache directory between runs.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

QUIET_ZONE = 4  # modules of white border the QR standard asks for
ERROR_CORRECTION = "M"  # survives a smudge or a fold


def _cache_file(target: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(f"{ERROR_CORRECTION}:{QUIET_ZONE}:{target}".encode()).hexdigest()[:32]
    return base / "handouts" / f"qr-{key}.txt"


@lru_cache(maxsize=8)
def modules(target: str) -> tuple[tuple[bool, ...], ...]:
    """Dark/light modules including the quiet zone."""
    cache = _cache_file(target)
    try:
        rows = cache.read_text(encoding="ascii").split()
        if rows and all(len(r) == len(rows) and set(r) <= {"0", "1"} for r in rows):
            return tuple(tuple(c == "1" for c in r) for r in rows)
    except (OSError, UnicodeDecodeError):
        pass
    grid = _encode(target)
    _store(cache, "\n".join("".join("1" if m else "0" for m in row) for row in grid))
    return grid


def _encode(target: str) -> tuple[tuple[bool, ...], ...]:
    # qrcode.main avoids the package's image back-ends: we draw vectors ourselves.
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.main import QRCode

    code = QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(target)
    code.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in code.get_matrix())


def _store(path: Path, text: str) -> None:
    """Best effort: a read-only home only costs the next run 15 ms."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".qr-")
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        pass


@lru_cache(maxsize=8)
def dark_runs(target: str) -> tuple[tuple[int, int, int], ...]:
    """(row, first column, length) for each horizontal run of dark modules.

    Drawing runs instead of single squares keeps the page stream small and
    leaves no hairline gaps between neighbours when a viewer anti-aliases.
    """
    out: list[tuple[int, int, int]] = []
    for r, row in enumerate(modules(target)):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                out.append((r, start, c - start))
            else:
                c += 1
    return tuple(out)
