"""The booking QR code as a grid of modules, computed once per target.

A clinic's booking link never changes between handouts, and encoding it (with the
import of qrcode) is about 15 ms of a 100 ms cold start; so the grid is kept in
memory for a batch and in the user's cache directory between runs.
"""

from __future__ import annotations

from functools import lru_cache

from handouts import cache

QUIET_ZONE = 4  # modules of white border the QR standard asks for
ERROR_CORRECTION = "M"  # survives a smudge or a fold


@lru_cache(maxsize=8)
def modules(target: str) -> tuple[tuple[bool, ...], ...]:
    """Dark/light modules including the quiet zone."""
    entry = cache.entry("qr", ERROR_CORRECTION, QUIET_ZONE, cache.made_by(_encode), target)
    try:
        rows = (cache.read(entry) or b"").decode("ascii").split()
        if rows and all(len(r) == len(rows) and set(r) <= {"0", "1"} for r in rows):
            return tuple(tuple(c == "1" for c in r) for r in rows)
    except UnicodeDecodeError:
        pass
    grid = _encode(target)
    cache.write(entry, "\n".join("".join("1" if m else "0" for m in row) for row in grid).encode("ascii"))
    return grid


def _encode(target: str) -> tuple[tuple[bool, ...], ...]:
    # qrcode.main avoids the package's image back-ends: we draw vectors ourselves.
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.main import QRCode

    code = QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(target)
    code.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in code.get_matrix())


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
