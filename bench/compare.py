"""Benchmark: this tree against an earlier commit, and against bare reportlab, in one run.

Times, interleaved so a busy machine slows every contender alike:
  (a) one cold `handouts make` process (median of RUNS), for this tree and for REF (a git
      worktree made for the run), and the same page drawn by reportlab alone in a cold
      process: the floor a cold make can approach (fonts registered, every word and
      rule of the page drawn where the handout draws it, read back from its PDF);
  (b) a 1,000-row batch with --jobs 2 and a combined file, for both trees;
  (c) reading one phone photo of a ticked sheet (decode, find, straighten, read), for both.

Run from the repository root with '.[test]' installed:  python bench/compare.py [REF] [RUNS]
REF defaults to HEAD~1. Not part of the test suite: timings belong here, not in assertions.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH_ROWS = 1000
BARE = r"""
import json, sys
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
page = json.load(open(sys.argv[1]))
for name, path in page["fonts"].items():
    pdfmetrics.registerFont(TTFont(name, path))
c = Canvas(sys.argv[2], pagesize=page["size"])
for x0, y0, w, h in page["rects"]:
    c.rect(x0, y0, w, h, stroke=1, fill=0)
for x0, y0, x1, y1 in page["lines"]:
    c.line(x0, y0, x1, y1)
for text, font, size, x, y in page["words"]:
    c.setFont(font, size)
    c.drawString(x, y, text)
c.showPage()
c.save()
"""


def run(command: list[str], env: dict[str, str] | None = None, **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def tree_env(tree: Path, tmp: Path) -> dict[str, str]:
    """Run a tree's code as an installed copy would: byte-code compiled, its own cache already warm."""
    env = dict(os.environ, PYTHONPATH=str(tree), HANDOUTS_HISTORY=str(tmp / f"{tree.name}-history.sqlite3"))
    env["HANDOUTS_CACHE"] = str(tmp / f"{tree.name}-cache")
    env["XDG_CACHE_HOME"] = str(tmp / f"{tree.name}-xdg")  # the previous release read its cache from here
    return env


def display_list(pdf: Path, out: Path) -> None:
    """The handout's words, boxes and rules with their fonts and places, for the bare-reportlab page."""
    import pdfplumber

    fonts = {"Atkinson": str(ROOT / "fonts" / "AtkinsonHyperlegibleNext-Regular.ttf")}
    bold = ROOT / "fonts" / "AtkinsonHyperlegibleNext-Bold.ttf"
    if bold.exists():
        fonts["AtkinsonBold"] = str(bold)
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        height = float(page.height)
        words = [
            [
                w["text"],
                "AtkinsonBold" if "Bold" in w["fontname"] and "AtkinsonBold" in fonts else "Atkinson",
                float(w["size"]),
                float(w["x0"]),
                height - float(w["bottom"]) + float(w["size"]) * 0.2,
            ]
            for w in page.extract_words(extra_attrs=["fontname", "size"])
        ]
        rects = [[float(r["x0"]), height - float(r["bottom"]), float(r["width"]), float(r["height"])] for r in page.rects]
        lines = [[float(ln["x0"]), height - float(ln["top"]), float(ln["x1"]), height - float(ln["bottom"])] for ln in page.lines]
        size = [float(page.width), height]
    out.write_text(json.dumps({"fonts": fonts, "size": size, "words": words, "rects": rects, "lines": lines}))


def roster(path: Path) -> None:
    exercises = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "exercises", "start"])
        for i in range(BATCH_ROWS):
            writer.writerow([f"Patient {i:04d} Núñez", " ".join(exercises[: 1 + i % 4]), "2026-12-01"])


def main() -> None:
    ref = sys.argv[1] if len(sys.argv) > 1 else "HEAD~1"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    tmp = Path(tempfile.mkdtemp(prefix="handouts-compare-"))
    base = tmp / "base"
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(base), ref], cwd=ROOT, check=True)
    label = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    try:
        for tree in (ROOT, base):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "handouts")], check=True)
        trees = {"this tree": ROOT, f"{label}": base}
        envs = {name: tree_env(tree, tmp) for name, tree in trees.items()}
        make = [sys.executable, "-m", "handouts", "make", "Zoë O'Brien", "--force", "--start", "2026-12-01"]
        pdfs = {name: tmp / f"{n}.pdf" for n, name in enumerate(trees)}
        for name in trees:  # warm each tree's cache and the file cache
            run([*make, "-o", str(pdfs[name])], envs[name])
        display_list(pdfs["this tree"], tmp / "page.json")
        bare = [sys.executable, "-c", BARE, str(tmp / "page.json"), str(tmp / "bare.pdf")]
        run(bare)
        cold: dict[str, list[float]] = {name: [] for name in [*trees, "bare reportlab"]}
        for _ in range(runs):
            for name in trees:
                cold[name].append(run([*make, "-o", str(pdfs[name])], envs[name]))
            cold["bare reportlab"].append(run(bare))
        roster(tmp / "roster.csv")
        batches: dict[str, float] = {}
        for name in [*trees, *trees]:  # twice each, alternating; the better of two
            out = tmp / f"batch-{name}"
            seconds = run(
                [
                    sys.executable,
                    "-m",
                    "handouts",
                    "batch",
                    str(tmp / "roster.csv"),
                    "-o",
                    str(out),
                    "--combined",
                    str(out / "all.pdf"),
                    "--jobs",
                    "2",
                    "--force",
                    "--no-history",
                ],
                envs[name],
                stderr=subprocess.DEVNULL,
            )
            batches[name] = min(seconds, batches.get(name, seconds))
        scans = scan_times(trees, envs, tmp)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    floor = statistics.median(cold["bare reportlab"])
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {runs} cold runs each, interleaved")
    print(f"{'':34}" + "".join(f"{name:>16}" for name in trees))
    print("(a) cold `handouts make`, median  " + "".join(f"{statistics.median(cold[n]) * 1000:13.1f} ms" for n in trees))
    print(
        "    ... against bare reportlab    "
        + "".join(f"{statistics.median(cold[n]) / floor:15.2f}x" for n in trees)
        + f"   (bare reportlab, same page: {floor * 1000:.1f} ms)"
    )
    print("    PDF size                      " + "".join(f"{pdfs[n].stat().st_size / 1024:13.1f} KB" for n in trees))
    print(f"(b) {BATCH_ROWS}-row batch, --jobs 2     " + "".join(f"{batches[n]:14.2f} s" for n in trees))
    print("(c) read one phone photo, median " + "".join(f"{scans[n] * 1000:13.1f} ms" for n in trees))


SCAN = r"""
import sys, time, statistics
import numpy as np, cv2
sys.path.insert(0, sys.argv[1])
try:
    from handouts.scan import reader as scan
except ImportError:
    from handouts import scan
photos = [open(p, "rb").read() for p in sys.argv[2:]]
times = []
for _ in range(3):
    for data in photos:
        t = time.perf_counter()
        scan.read_image(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), "bench")
        times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def scan_times(trees: dict[str, Path], envs: dict[str, str | dict[str, str]], tmp: Path) -> dict[str, float]:
    """The same ten photos of the same sheet, read by each tree's scanner."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from tests import sheetphotos as sp

    sheet = sp.sheet((tmp / "0.pdf").read_bytes())
    paths = []
    for seed in range(10):
        page, _ = sp.tick_sheet(sheet, np.random.default_rng(seed), pen=2, colour="black")
        jpeg, _ = sp.photograph(page, seed)
        path = tmp / f"photo-{seed}.jpg"
        path.write_bytes(jpeg)
        paths.append(str(path))
    out = {}
    for name, tree in trees.items():
        env = dict(os.environ, PYTHONPATH=str(tree))
        result = subprocess.run([sys.executable, "-c", SCAN, str(tree), *paths], check=True, capture_output=True, text=True, env=env)
        out[name] = float(result.stdout.strip())
    return out


if __name__ == "__main__":
    main()
