"""Benchmark: one cold `handouts make` recording into SQLite and into PostgreSQL, side by side.

Starts a PostgreSQL server on 127.0.0.1 as the tests do (Debian's postgresql package,
'.[test]' installed), then times cold makes in turn: --no-history, a SQLite file, the
PostgreSQL database (same machine: the floor of a network round trip), and a 1,000-row
batch into each. Run from the repository root:  python bench/postgres.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pgserver  # noqa: E402


def timed(args: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "handouts", *args], env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    tmp = Path(tempfile.mkdtemp(prefix="handouts-pg-bench-"))
    with pgserver.running() as server:
        url = server.create_database("bench")
        places = {"no history": None, "SQLite file": str(tmp / "history.sqlite3"), "PostgreSQL": url}
        envs = {}
        for name, place in places.items():
            env = {**os.environ, "PGPASSWORD": pgserver.PASSWORD}
            if place:
                env["HANDOUTS_HISTORY"] = place
            envs[name] = env
        make = ["make", "Zoë O'Brien", "-o", str(tmp / "x.pdf"), "--force"]
        times: dict[str, list[float]] = {name: [] for name in places}
        args = {name: make + (["--no-history"] if place is None else []) for name, place in places.items()}
        for name, command in args.items():  # warm: schema created, caches filled
            timed(command, envs[name], tmp)
        for _ in range(runs):
            for name, command in args.items():
                times[name].append(timed(command, envs[name], tmp))
        roster = tmp / "roster.csv"
        roster.write_text("name,exercises\n" + "".join(f"Attendee {i},bridge wall-calf-raise\n" for i in range(1000)))
        batch = {}
        for name in ("SQLite file", "PostgreSQL"):
            batch[name] = timed(["batch", str(roster), "-o", str(tmp / name.replace(" ", "")), "--jobs", "2"], envs[name], tmp)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {runs} cold makes each, interleaved")
    for name, values in times.items():
        print(f"  cold make, {name:<12} median {statistics.median(values) * 1000:6.1f} ms")
    for name, seconds in batch.items():
        print(f"  1000-row batch --jobs 2, {name:<12} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
