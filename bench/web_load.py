"""Benchmark for `handouts serve`: the preview round trip, and 20 clinicians at once for 60 s.

Run from the repository root with the web extra installed: python bench/web_load.py
It starts the real app under uvicorn on 127.0.0.1 (one process, as a clinic runs it),
then measures from separate client threads. Not part of the tests: timings belong here.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CLINICIANS = 20
SECONDS = float(os.environ.get("WEB_LOAD_SECONDS", "60"))
PORT = 8047
PLAN = {
    "patient": "Runner Ní Bhriain",
    "exercises": [
        {"id": "wall-calf-raise", "sets": "3", "amount": "10-15", "unit": "reps", "rpe": "8", "per_week": "2"},
        {"id": "bridge"},
        {"id": "clamshell"},
    ],
    "note": "Slowly.",
    "paper": "letter",
    "lang": "en",
}


class Clinician:
    """One browser: its own session cookie and CSRF token."""

    def __init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        self.conn.request("GET", "/")
        response = self.conn.getresponse()
        page = response.read().decode()
        self.cookie = response.getheader("set-cookie", "").split(";")[0]
        self.token = re.search(r'name="csrf" content="([^"]+)"', page).group(1)

    def post(self, path: str, body: dict) -> tuple[int, float, bytes]:
        start = time.perf_counter()
        self.conn.request(
            "POST", path, json.dumps(body), {"Content-Type": "application/json", "Cookie": self.cookie, "X-CSRF-Token": self.token}
        )
        response = self.conn.getresponse()
        data = response.read()
        return response.status, time.perf_counter() - start, data


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="handouts-web-bench-"))
    env = {**os.environ, "HANDOUTS_HISTORY": str(tmp / "history.sqlite3")}
    server = subprocess.Popen(
        [sys.executable, "-m", "handouts", "serve", "--port", str(PORT), "-o", str(tmp / "out")], env=env, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                Clinician()
                break
            except OSError:
                time.sleep(0.1)
        one = Clinician()
        single = []
        for i in range(30):
            plan = {**PLAN, "note": f"Slowly. Visit {i}."}
            status, seconds, _ = one.post("/api/preview", plan)
            assert status == 200
            single.append(seconds)
        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()
        stop = time.monotonic() + SECONDS

        def work(n: int) -> None:
            nonlocal errors
            me = Clinician()
            i = 0
            while time.monotonic() < stop:
                i += 1
                path = "/api/handout" if i % 5 == 0 else "/api/preview"  # four previews per handout made
                status, seconds, _ = me.post(path, {**PLAN, "patient": f"Runner {n} {i}", "action": "download"})
                with lock:
                    latencies.append(seconds)
                    errors += status != 200

        threads = [threading.Thread(target=work, args=(n,)) for n in range(CLINICIANS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss_kb = int(Path(f"/proc/{server.pid}/status").read_text().split("VmHWM:")[1].split()[0])
    finally:
        server.terminate()
        server.wait()
    q = statistics.quantiles(latencies, n=100)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"preview round trip, one clinician: median {statistics.median(single) * 1000:.0f} ms, "
        f"worst {max(single) * 1000:.0f} ms (server render + PNG, over loopback)"
    )
    print(
        f"{CLINICIANS} clinicians for {SECONDS:.0f} s: {len(latencies)} requests "
        f"({len(latencies) / SECONDS:.1f}/s), p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, errors {errors}"
    )
    print(f"server peak memory: {rss_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main()
