"""A small QR encoder for the code beside the log: versions 1–3, level M, letters then digits.

Every sheet's log code is different (it names the sheet), so it cannot be cached the way
the booking code is, and importing a QR library costs a quarter of a cold `make` (26–37 ms
measured for qrcode and segno). The codes needed here are tiny and of one kind, so the
standard's few steps are written out (ISO/IEC 18004; the structure follows Project
Nayuki's reference encoder). Tests compare the modules with the qrcode library's, mask by
mask, and decode them with a real reader.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# version: (total codewords, error-correction codewords at level M); one block each
_VERSIONS = {1: (26, 10), 2: (44, 16), 3: (70, 26)}
_LEVEL_M = 0b00
_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
)


def encode(text: str, mask: int | None = None) -> list[list[bool]]:
    """The modules (True = dark), without the quiet zone, of the smallest version that holds `text`.

    A run of digits at the end is packed three to ten bits (numeric mode), the rest as
    alphanumeric text: a short prefix and a long number make a smaller code than either alone.
    """
    bad = sorted({c for c in text if c not in ALPHANUMERIC})
    if bad:
        raise ValueError(f"not alphanumeric QR text: {''.join(bad)!r}")
    bits = _bits(text)
    version = next((v for v, (total, ec) in _VERSIONS.items() if len(bits) <= (total - ec) * 8), None)
    if version is None:
        raise ValueError(f"{len(text)} characters do not fit a version 3 code")
    total, ec = _VERSIONS[version]
    data = _codewords(bits, total - ec)
    data += _remainder(data, _divisor(ec))
    size = 17 + 4 * version
    template = _template(version)
    rows, columns = list(template.rows), list(template.columns)
    bits = [(b >> (7 - i)) & 1 for b in data for i in range(8)]
    for (y, x), bit in zip(template.order, bits, strict=False):  # the remainder bits stay light
        if bit:
            rows[y] |= 1 << (size - 1 - x)
            columns[x] |= 1 << (size - 1 - y)
    free = template.free
    if mask is None:  # the standard's choice: the mask that leaves the fewest confusing patterns
        mask = min(
            range(8),
            key=lambda m: _penalty(_masked_ints(rows, free, m, size), _masked_ints(columns, template.free_columns, m, size, True), size),
        )
    out = [[c == "1" for c in format(r, f"0{size}b")] for r in _masked_ints(rows, free, mask, size)]
    _format_bits(out, mask)
    return out


def _bits(text: str) -> list[int]:
    bits: list[int] = []

    def put(value: int, width: int) -> None:
        bits.extend((value >> i) & 1 for i in reversed(range(width)))

    digits = len(text) - len(text.rstrip("0123456789"))
    letters, number = text[: len(text) - digits], text[len(text) - digits :]
    if letters:
        put(0b0010, 4)
        put(len(letters), 9)
        for i in range(0, len(letters) - 1, 2):
            put(ALPHANUMERIC.index(letters[i]) * 45 + ALPHANUMERIC.index(letters[i + 1]), 11)
        if len(letters) % 2:
            put(ALPHANUMERIC.index(letters[-1]), 6)
    if number:
        put(0b0001, 4)
        put(len(number), 10)
        for i in range(0, len(number), 3):
            group = number[i : i + 3]
            put(int(group), 3 * len(group) + 1)
    return bits


def _codewords(bits: list[int], count: int) -> list[int]:
    room = count * 8
    bits += [0] * min(4, room - len(bits))
    bits += [0] * (-len(bits) % 8)
    words = [int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8)]
    pad = 0xEC
    while len(words) < count:
        words.append(pad)
        pad ^= 0xEC ^ 0x11
    return words


def _tables() -> tuple[list[int], list[int]]:
    exp, log = [0] * 512, [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x <<= 1
        if x & 0x100:
            x ^= 0x11D
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return exp, log


def _multiply(x: int, y: int) -> int:
    """Multiplication in GF(256) modulo x^8 + x^4 + x^3 + x^2 + 1."""
    if x == 0 or y == 0:
        return 0
    exp, log = _gf()
    return exp[log[x] + log[y]]


_gf = lru_cache(maxsize=1)(_tables)


@lru_cache(maxsize=4)
def _divisor(degree: int) -> list[int]:
    result = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            result[j] = _multiply(result[j], root)
            if j + 1 < degree:
                result[j] ^= result[j + 1]
        root = _multiply(root, 0x02)
    return result


def _remainder(data: list[int], divisor: list[int]) -> list[int]:
    exp, log = _gf()
    logs = [log[c] for c in divisor]  # the divisor's coefficients are never zero
    result = [0] * len(divisor)
    for b in data:
        factor = b ^ result.pop(0)
        result.append(0)
        if factor:
            f = log[factor]
            for i, lc in enumerate(logs):
                result[i] ^= exp[lc + f]
    return result


def _function_patterns(grid: list[list[bool]], function: list[list[bool]], version: int) -> None:
    size = len(grid)

    def put(x: int, y: int, dark: bool) -> None:
        grid[y][x] = dark
        function[y][x] = True

    for i in range(size):  # timing
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):  # finders with their light separators
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                x, y = cx + dx, cy + dy
                if 0 <= x < size and 0 <= y < size:
                    put(x, y, max(abs(dx), abs(dy)) not in (2, 4))
    if version >= 2:
        c = size - 7
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                put(c + dx, c + dy, max(abs(dx), abs(dy)) != 1)
    for i in range(9):  # the format areas: light here, drawn last for the mask chosen
        function[8][i] = function[i][8] = True
    for i in range(8):
        function[8][size - 1 - i] = function[size - 1 - i][8] = True


def _format_bits(grid: list[list[bool]], mask: int) -> None:
    size = len(grid)
    data = _LEVEL_M << 3 | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    bits = (data << 10 | rem) ^ 0x5412

    def bit(i: int) -> bool:
        return (bits >> i) & 1 == 1

    for i in range(6):
        grid[i][8] = bit(i)
    grid[7][8] = bit(6)
    grid[8][8] = bit(7)
    grid[8][7] = bit(8)
    for i in range(9, 15):
        grid[8][14 - i] = bit(i)
    for i in range(8):
        grid[8][size - 1 - i] = bit(i)
    for i in range(8, 15):
        grid[size - 15 + i][8] = bit(i)
    grid[size - 8][8] = True


class _Template(NamedTuple):
    """What every code of one version shares: its function patterns, and the zig-zag order
    in which data modules are placed. Made once per process, so a batch pays for it once."""

    rows: tuple[int, ...]  # function patterns (with the format areas light), row by row
    columns: tuple[int, ...]  # the same, column by column
    free: tuple[int, ...]  # 1 where data goes, by row...
    free_columns: tuple[int, ...]  # ...and by column
    order: tuple[tuple[int, int], ...]  # (y, x) of each data module in placement order


@lru_cache(maxsize=3)
def _template(version: int) -> _Template:
    size = 17 + 4 * version
    grid = [[False] * size for _ in range(size)]
    function = [[False] * size for _ in range(size)]
    _function_patterns(grid, function, version)
    order = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            order += [(y, x) for x in (right, right - 1) if not function[y][x]]
        right -= 2
    transposed = [list(c) for c in zip(*grid, strict=True)]
    free = [[not f for f in row] for row in function]
    return _Template(
        tuple(_as_ints(grid)),
        tuple(_as_ints(transposed)),
        tuple(_as_ints(free)),
        tuple(_as_ints([list(c) for c in zip(*free, strict=True)])),
        tuple(order),
    )


def _as_ints(grid: list[list[bool]]) -> list[int]:
    return [int("".join("1" if m else "0" for m in row), 2) for row in grid]


# Each mask repeats down the rows (and, for the transposed grid, across) with these periods,
# so only that many row patterns are computed.
_PERIODS = (2, 2, 1, 3, 4, 6, 6, 6)
_PERIODS_ACROSS = (2, 1, 3, 3, 6, 6, 6, 6)


@lru_cache(maxsize=48)
def _patterns(mask: int, size: int, across: bool) -> list[int]:
    test = _MASKS[mask]
    period = (_PERIODS_ACROSS if across else _PERIODS)[mask]
    return [int("".join("1" if (test(i, j) if across else test(j, i)) else "0" for j in range(size)), 2) for i in range(period)]


def _masked_ints(rows: list[int], free: tuple[int, ...], mask: int, size: int, across: bool = False) -> list[int]:
    """The rows (or, `across`, the columns) after the mask, leaving the function patterns alone."""
    patterns = _patterns(mask, size, across)
    return [r ^ (patterns[i % len(patterns)] & f) for i, (r, f) in enumerate(zip(rows, free, strict=True))]


def _penalty(rows: list[int], columns: list[int], size: int) -> int:
    """The standard's rules 1, 2 and 4 (long runs, 2×2 blocks, dark/light balance), on rows as
    integers: a cold `make` picks a mask among eight, so this runs eight times per sheet."""
    score = 0
    pairs = (1 << (size - 1)) - 1
    for line in rows + columns:  # a run of n >= 5 alike costs n - 2
        same = ~(line ^ (line >> 1)) & pairs
        five = same & (same >> 1) & (same >> 2) & (same >> 3)
        starts = five & ~(five << 1)
        score += five.bit_count() + 2 * starts.bit_count()
    for upper, lower in pairwise(rows):
        block = ~(upper ^ (upper >> 1)) & ~(lower ^ (lower >> 1)) & ~(upper ^ lower) & pairs
        score += 3 * block.bit_count()
    dark = sum(r.bit_count() for r in rows)
    score += abs(dark * 20 - size * size * 10) // (size * size) * 10
    return score
