"""Benchmark: reading returned logs from phone photos, per kind of photo and per pen.

Makes real handouts, ticks them with pens of 1-5 px (at 300 dpi: 0.08-0.42 mm, a fine
liner to a felt tip) in black and blue, photographs them the way tests/sheetphotos.py
does (8 MP JPEGs, at an angle, uneven light, blur, noise), writes them to disk and reads
each file with the scanner: decode, find, straighten, read. The kinds of photo:

  whole, close-up, upside down, sticky note  the sheet as it comes back flat
  chat app      1500 x 2000 px, blur 0.8-1.4 px, JPEG quality 60 (sent through a messenger)
  folded row    folded between two rows: a crease, the far side shifted 0.26 mm and shaded
  folded day    folded between two days, likewise
  curled        the sides lift like a book's page: lines bow by up to 6 mm
  crease        a fold line 20% darker than the paper through one row's boxes
  crossed out   three ticks scribbled over afterwards: never to be counted as done

and, only when asked for with --kind, where reading stops:

  old phone     4.5 MP, blur 1.2-2.2 px, JPEG 45-70: an old phone and a shaky hand

Per kind: photos read and refused; false ticks (a box called ticked that was empty or
crossed out), ticks called empty, ticks left unsure, unsure boxes. Also one cold
`handouts scan`.

Run from the repository root with '.[test]' installed:
  python bench/scan.py [PHOTOS] [--tree DIR] [--kind KIND]
--kind KIND makes every photo of that kind (say "chat app"), for a larger sample of it.
--tree DIR prints the sheets and reads the photos with another checkout's code (a baseline:
e.g. `git worktree add /tmp/base fd9f5df`), the damage and the camera being this one's, so
both are measured in one session on the same photos of each checkout's own sheets.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import sheetphotos as sp  # noqa: E402

if "--tree" in sys.argv:  # the scanner of another checkout, with this one's photos
    TREE = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    sys.path.insert(0, str(TREE))
    for name in [m for m in sys.modules if m == "handouts" or m.startswith("handouts.")]:
        del sys.modules[name]
else:
    TREE = ROOT

from handouts.scan import reader as scan  # noqa: E402

PATIENTS = [
    ("Zoe Park", []),
    (
        "Ana Ruiz",
        ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise", "ankle-pumps", "calf-stretch", "--paper", "a4"],
    ),
    ("Bo Li", ["wall-calf-raise", "--large-print"]),
]
DAMAGE = {
    "folded row": "folded between two rows",
    "folded day": "folded between two days",
    "curled": "curled",
    "crease": "creased through a row",
    "crossed out": "crossed out",
}
KINDS = (
    "whole",
    "close-up",
    "upside down",
    "sticky note",
    "chat app",
    "folded row",
    "folded day",
    "curled",
    "crease",
    "crossed out",
)


def photo_of(kind: str, sheet: sp.Sheet, seed: int) -> tuple[bytes, sp.Ticks]:
    rng = np.random.default_rng(seed)
    pen = 1 + seed % 5
    page, ticks = sp.tick_sheet(sheet, rng, pen=pen, colour=("black", "blue")[seed // 5 % 2])
    kw: dict[str, object] = {}
    if kind == "close-up":
        b, pt = sheet.boxes, sp.PT
        kw["closeup_box"] = (4 * pt, b[0][0][1] - 80 * pt, page.shape[1] - 4 * pt, b[-1][0][1] + 30 * pt)
    elif kind == "upside down":
        kw["upside_down"] = True
    elif kind == "sticky note":
        page = sp.cover_right_markers(page, sheet)
    elif kind == "chat app":
        kw.update(size=(1500, 2000), blur_range=(0.8, 1.4), quality_range=(60, 61))
    elif kind == "old phone":
        kw.update(size=(1836, 2448), blur_range=(1.2, 2.2), quality_range=(45, 71))
    else:
        page = sp.damaged(page, sheet, ticks, rng, DAMAGE.get(kind, ""))
    jpeg, _ = sp.photograph(page, seed, **kw)  # type: ignore[arg-type]
    return jpeg, ticks


def main() -> None:
    options = ("--tree", "--kind")
    args = [a for i, a in enumerate(sys.argv[1:], 1) if a not in options and sys.argv[i - 1] not in options]
    count = int(args[0]) if args else 200
    kinds = (sys.argv[sys.argv.index("--kind") + 1],) if "--kind" in sys.argv else KINDS
    tmp = Path(tempfile.mkdtemp())
    handouts = [sys.executable, "-m", "handouts"]
    env = {**os.environ, "PYTHONPATH": str(TREE)}  # run from TREE too: `-m` looks in the working directory first
    sheets = []
    for n, (name, extra) in enumerate(PATIENTS):
        pdf = tmp / f"{n}.pdf"
        subprocess.run(
            [*handouts, "make", name, *extra, "-o", str(pdf), "--no-history"], check=True, stdout=subprocess.DEVNULL, env=env, cwd=TREE
        )
        sheets.append(sp.sheet(pdf.read_bytes()))
    # photos, refused, true ticks, false ticks, ticks called empty, ticks unsure, unsure boxes
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    by_pen: dict[int, list[int]] = defaultdict(lambda: [0] * 7)
    times: list[float] = []
    for seed in range(count):
        kind = kinds[seed % len(kinds)]
        jpeg, ticks = photo_of(kind, sheets[seed % 3], seed)
        photo = tmp / f"photo-{seed}.jpg"
        photo.write_bytes(jpeg)
        tallies = (by_kind[kind], by_pen[1 + seed % 5])
        for t in tallies:
            t[0] += 1
        start = time.perf_counter()
        try:
            reading = scan.read_photo(photo)
        except scan.Unreadable as e:
            for t in tallies:
                t[1] += 1
            print(f"refused {kind} seed {seed}: {str(e).split(': ', 1)[1][:90]}")
            continue
        times.append(time.perf_counter() - start)
        for r, states in enumerate(reading.boxes):
            for d, state in enumerate(states):
                truth = (r, d) in ticks.ticked
                for t in tallies:
                    t[2] += truth and state is True
                    t[3] += (not truth) and state is True
                    t[4] += truth and state is False
                    t[5] += truth and state is None
                    t[6] += state is None
    print(f"\nscanner of {TREE}; {count} photos; time per photo read (from disk): ", end="")
    print(f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms" if times else "none read")
    print(f"{'':<14}{'read':>9}{'refused':>9}{'ticks':>7}{'false':>7}{'empty':>7}{'unsure':>8}{'unsure boxes':>14}")
    total = [sum(t[i] for t in by_kind.values()) for i in range(7)]
    for label, t in [
        *((k, by_kind[k]) for k in kinds if k in by_kind),
        *((f"pen {p} px", by_pen[p]) for p in sorted(by_pen)),
        ("all", total),
    ]:
        print(f"{label:<14}{t[0] - t[1]:>5}/{t[0]:<3}{t[1]:>9}{t[2]:>7}{t[3]:>7}{t[4]:>7}{t[5]:>8}{t[6]:>14}")
    photo = tmp / "photo-0.jpg"
    runs = []
    for _ in range(4):
        start = time.perf_counter()
        subprocess.run(
            [*handouts, "scan", str(photo), "--no-history"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=TREE,
        )
        runs.append(time.perf_counter() - start)
    print(f"cold `handouts scan` of one photo (a new process, OpenCV loaded): median {statistics.median(runs[1:]) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
