"""Benchmark: reading returned logs from phone photos, per photo and per pen.

Makes real handouts, ticks them with pens of 1-5 px (at 300 dpi: 0.08-0.42 mm, a fine
liner to a felt tip) in black and blue, photographs them the way tests/sheetphotos.py
does (8 MP JPEGs, at an angle, uneven light, blur, noise; some close-ups, some upside
down, some with two markers under a sticky note), writes them to disk and reads each
file with the scanner: decode, find, straighten, read. Also one cold `handouts scan`.

Run from the repository root with '.[test]' installed:  python bench/scan.py [PHOTOS] [--hard]
--hard: 4.5 MP photos, blur of 1.2-2.2 px and JPEG quality 45-70 (an old phone, a shaky hand).
"""

from __future__ import annotations

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

from handouts.scan import reader as scan  # noqa: E402
from tests import sheetphotos as sp  # noqa: E402

PATIENTS = [
    ("Zoe Park", []),
    (
        "Ana Ruiz",
        ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise", "ankle-pumps", "calf-stretch", "--paper", "a4"],
    ),
    ("Bo Li", ["wall-calf-raise", "--large-print"]),
]


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--hard"]
    hard = "--hard" in sys.argv
    count = int(args[0]) if args else 200
    shoot: dict[str, object] = {"size": (1836, 2448), "blur_range": (1.2, 2.2), "quality_range": (45, 71)} if hard else {}
    tmp = Path(tempfile.mkdtemp())
    handouts = str(Path(sys.executable).with_name("handouts"))
    sheets = []
    for n, (name, args) in enumerate(PATIENTS):
        pdf = tmp / f"{n}.pdf"
        subprocess.run([handouts, "make", name, *args, "-o", str(pdf), "--no-history"], check=True, stdout=subprocess.DEVNULL)
        sheets.append(sp.sheet(pdf.read_bytes()))
    # found, called ticked but empty, ticked but not called ticked, unsure, ticked but called empty
    by_pen: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    times, refused = [], 0
    for seed in range(count):
        sheet = sheets[seed % 3]
        pen = 1 + seed % 5
        page, ticks = sp.tick_sheet(sheet, np.random.default_rng(seed), pen=pen, colour=("black", "blue")[seed // 5 % 2])
        kind = ("whole", "whole", "whole", "close-up", "upside down", "sticky note")[seed % 6]
        kw: dict[str, object] = dict(shoot)
        if kind == "close-up":
            b, pt = sheet.boxes, sp.PT
            kw["closeup_box"] = (4 * pt, b[0][0][1] - 80 * pt, page.shape[1] - 4 * pt, b[-1][0][1] + 30 * pt)
        elif kind == "upside down":
            kw["upside_down"] = True
        elif kind == "sticky note":
            page = sp.cover_right_markers(page, sheet)
        jpeg, _ = sp.photograph(page, seed, **kw)  # type: ignore[arg-type]
        photo = tmp / f"photo-{seed}.jpg"
        photo.write_bytes(jpeg)
        start = time.perf_counter()
        try:
            reading = scan.read_photo(photo)
        except scan.Unreadable as e:
            refused += 1
            print(f"refused seed {seed}: {e}")
            continue
        times.append(time.perf_counter() - start)
        for r, states in enumerate(reading.boxes):
            for d, state in enumerate(states):
                truth = (r, d) in ticks.ticked
                for tally in (by_pen[pen], by_kind[kind]):
                    tally[0] += truth and state is True
                    tally[1] += (not truth) and state is True
                    tally[2] += truth and state is not True
                    tally[3] += state is None
                    tally[4] += truth and state is False
    print(
        f"{count} photos of {'4.5 MP, hard' if hard else '8 MP'}, {refused} refused; time per photo (read from disk): "
        f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms"
    )
    total = [sum(t[i] for t in by_pen.values()) for i in range(5)]
    for label, t in [*((f"pen {p} px", by_pen[p]) for p in sorted(by_pen)), *by_kind.items(), ("all", total)]:
        precision = t[0] / max(1, t[0] + t[1])
        recall = t[0] / max(1, t[0] + t[2])
        print(f"  {label:<12} precision {precision:.4f}  recall {recall:.4f}  unsure boxes {t[3]}, ticks called empty {t[4]}")
    photo = tmp / "photo-0.jpg"
    runs = []
    for _ in range(6):
        start = time.perf_counter()
        subprocess.run([handouts, "scan", str(photo), "--no-history"], check=True, stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    print(f"cold `handouts scan` of one photo (a new process, OpenCV loaded): median {statistics.median(runs[1:]) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
