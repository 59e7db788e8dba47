"""The booking QR code as a grid of modules, computed once per target."""

from __future__ import annotations

from functools import lru_cache

QUIET_ZONE = 4  # modules of white border the QR standard asks for


@lru_cache(maxsize=8)
def modules(target: str) -> tuple[tuple[bool, ...], ...]:
    """Dark/light modules including the quiet zone.

    Error correction M survives a smudge or a fold; a booking URL or a tel: link
    stays at a low version, so each module prints large enough for old phones.
    """
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
