"""A very long roster: 100,000 rows through `handouts batch --jobs 2`, its time and peak memory.

Run from the repository root: python bench/big_roster.py   (about five minutes on 2 cores)
ROWS=20000 python bench/big_roster.py for a shorter run.
"""

from __future__ import annotations

import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(os.environ.get("ROWS", "100000"))


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="handouts-big-"))
    roster = tmp / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "exercises", "start"])
        for i in range(ROWS):
            w.writerow([f"Runner {i:06d}", "hinge-plate wall-calf-raise" if i % 2 else "", "2026-12-01"])
    command = [sys.executable, "-m", "handouts", "batch", str(roster), "-o", str(tmp / "out"), "--jobs", "2", "--no-history"]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"{ROWS}-row batch, --jobs 2: {seconds:.0f} s ({ROWS / seconds:.0f} handouts/s), "
        f"peak RSS of any one process {peak_mb:.0f} MB; {summary}"
    )


if __name__ == "__main__":
    main()
