"""Benchmark: what the exercise drawings cost, this tree against the release before them.

In one run, interleaved so a busy machine slows both alike:
  (a) one cold `handouts make` process of the default program (median and spread of RUNS),
  (b) the PDF's size for the default program and for the six exercises with the most words
      (every card drawn), and the six exercises' PDF with --no-figures in this tree,
  (c) a warm in-process page with six drawn cards: CPU per page.

Run from the repository root:  python bench/figures.py [REF] [RUNS]   (REF defaults to c19064d,
the last commit without drawings). Not part of the test suite: timings belong here.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import ROOT, run, tree_env

SIX = ["wall-calf-raise", "hinge-tall-toes", "band-row", "hip-flexor-stretch", "hinge-heel-raised", "bird-dog"]
WARM = """
import sys, time
from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.render.pdf import render
lib, clinic = load_library(), load_clinic()
h = compose(lib, clinic, "Ana Lima", sys.argv[1].split())
render([h])
start = time.process_time()
for _ in range(40):
    render([h])
print((time.process_time() - start) / 40 * 1000)
"""


def make(tree: Path, env: dict[str, str], out: Path, *extra: str) -> float:
    return run([sys.executable, "-m", "handouts", "make", "Ana Lima", *extra, "--no-history", "--force", "-o", str(out)], env=env, cwd=tree)


def main() -> None:
    ref = sys.argv[1] if len(sys.argv) > 1 else "c19064d"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    tmp = Path(tempfile.mkdtemp(prefix="handouts-figures-"))
    base = tmp / "base"
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(base), ref], cwd=ROOT, check=True)
    try:
        trees = {"this tree": ROOT, ref: base}
        envs = {name: tree_env(tree, tmp) for name, tree in trees.items()}
        for tree in trees.values():
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "handouts")], check=True)
        times: dict[str, list[float]] = {name: [] for name in trees}
        for name, tree in trees.items():  # warm each tree's library cache once
            make(tree, envs[name], tmp / f"{tree.name}-warm.pdf")
        for _ in range(runs):
            for name, tree in trees.items():
                times[name].append(make(tree, envs[name], tmp / f"{tree.name}-default.pdf") * 1000)
        sizes: dict[str, tuple[int, int]] = {}
        for name, tree in trees.items():
            make(tree, envs[name], tmp / f"{tree.name}-six.pdf", *SIX)
            sizes[name] = ((tmp / f"{tree.name}-default.pdf").stat().st_size, (tmp / f"{tree.name}-six.pdf").stat().st_size)
        make(ROOT, envs["this tree"], tmp / "bare-six.pdf", *SIX, "--no-figures")
        warm = {
            name: float(
                subprocess.run(
                    [sys.executable, "-c", WARM, " ".join(SIX)], env=envs[name], cwd=tree, capture_output=True, text=True, check=True
                ).stdout
            )
            for name, tree in trees.items()
        }
        print(f"{'':44}{'this tree':>14}{ref:>14}")
        mine, theirs = statistics.median(times["this tree"]), statistics.median(times[ref])
        print(f"{'(a) cold make, default program (median)':44}{mine:>11.1f} ms{theirs:>11.1f} ms")
        print(f"{'    fastest':44}{min(times['this tree']):>11.1f} ms{min(times[ref]):>11.1f} ms")
        print(f"{'    spread (stdev)':44}{statistics.stdev(times['this tree']):>11.1f} ms{statistics.stdev(times[ref]):>11.1f} ms")
        print(f"{'(b) PDF, default program':44}{sizes['this tree'][0] / 1000:>11.1f} KB{sizes[ref][0] / 1000:>11.1f} KB")
        print(f"{'    PDF, six exercises':44}{sizes['this tree'][1] / 1000:>11.1f} KB{sizes[ref][1] / 1000:>11.1f} KB")
        print(f"{'    ... this tree with --no-figures':44}{(tmp / 'bare-six.pdf').stat().st_size / 1000:>11.1f} KB")
        print(f"{'(c) warm page, six exercises (CPU)':44}{warm['this tree']:>11.1f} ms{warm[ref]:>11.1f} ms")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
