"""Benchmark for `handouts serve`: the preview round trip, then a busy clinic for 5 minutes.

20 clinicians build (four previews, then a handout made and downloaded, over and over)
while 4 front-desk workers each upload a 30-row workshop, wait for it and download its
print file and zip, over and over. Counts errors, the preview's p95 and the server's
memory. Run from the repository root with the web extra installed:
    python bench/web_load.py            (WEB_LOAD_SECONDS=60 for a shorter run)
It starts `handouts serve` on 127.0.0.1 (one process, as a clinic runs it), then measures
from separate client threads. Not part of the tests: timings belong here.
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
WORKSHOPS = 4
SECONDS = float(os.environ.get("WEB_LOAD_SECONDS", "300"))
ROSTER = ("name,exercises\n" + "".join(f"Attendee {i:02d} Núñez,bridge wall-calf-raise clamshell\n" for i in range(30))).encode()
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

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers={"Cookie": self.cookie})
        response = self.conn.getresponse()
        return response.status, response.read()

    def upload(self, path: str, name: str, data: bytes) -> tuple[int, bytes]:
        boundary = "handoutsbench"
        body = (
            (f'--{boundary}\r\nContent-Disposition: form-data; name="roster"; filename="{name}"\r\nContent-Type: text/csv\r\n\r\n').encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": self.cookie, "X-CSRF-Token": self.token}
        self.conn.request("POST", path, body, headers)
        response = self.conn.getresponse()
        return response.status, response.read()


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
        previews: list[float] = []
        made: list[float] = []
        errors: list[str] = []
        workshops = [0]
        rss: list[float] = []
        lock = threading.Lock()
        stop = time.monotonic() + SECONDS

        def clinician(n: int) -> None:
            me = Clinician()
            i = 0
            while time.monotonic() < stop:
                i += 1
                plan = {**PLAN, "patient": f"Runner {n} {i}", "action": "download"}
                if i % 5:  # four previews per handout made
                    status, seconds, _ = me.post("/api/preview", plan)
                    with lock:
                        previews.append(seconds)
                else:
                    status, seconds, data = me.post("/api/handout", plan)
                    if status == 200:
                        status, pdf = me.get(json.loads(data)["file"] + "?download=1")
                        status = status if pdf.startswith(b"%PDF") else 599
                    with lock:
                        made.append(seconds)
                if status != 200:
                    with lock:
                        errors.append(f"clinician {status}")

        def front_desk(n: int) -> None:
            me = Clinician()
            while time.monotonic() < stop:
                status, data = me.upload("/api/workshop", f"workshop-{n}.csv", ROSTER)
                if status != 200:
                    errors.append(f"upload {status}")
                    continue
                job = json.loads(data)["job"]
                while True:
                    status, data = me.get(f"/api/workshop/{job}")
                    state = json.loads(data)
                    if state["finished"]:
                        break
                    time.sleep(0.2)
                if state["error"] or state["written"] != 30:
                    errors.append(f"workshop: {state['error'] or state['summary']}")
                    continue
                for kind in ("combined", "zip"):
                    status, _ = me.get(f"/workshop/{job}/{kind}")
                    if status != 200:
                        errors.append(f"workshop {kind} {status}")
                with lock:
                    workshops[0] += 1

        def watch() -> None:
            while time.monotonic() < stop:
                rss.append(int(Path(f"/proc/{server.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024)
                time.sleep(1)

        idle = int(Path(f"/proc/{server.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
        threads = [threading.Thread(target=clinician, args=(n,)) for n in range(CLINICIANS)]
        threads += [threading.Thread(target=front_desk, args=(n,)) for n in range(WORKSHOPS)]
        threads.append(threading.Thread(target=watch))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss_kb = int(Path(f"/proc/{server.pid}/status").read_text().split("VmHWM:")[1].split()[0])
    finally:
        server.terminate()
        server.wait()
    latencies = previews
    q = statistics.quantiles(latencies, n=100)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"preview round trip, one clinician: median {statistics.median(single) * 1000:.0f} ms, "
        f"worst {max(single) * 1000:.0f} ms (server render + PNG, over loopback)"
    )
    print(
        f"{CLINICIANS} clinicians and {WORKSHOPS} workshops at once for {SECONDS:.0f} s: {len(previews)} previews "
        f"(p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms), {len(made)} handouts made and downloaded "
        f"(p95 {statistics.quantiles(made, n=100)[94] * 1000:.0f} ms), {workshops[0]} workshops of 30, errors {len(errors)}"
    )
    print(f"server memory: idle {idle:.0f} MB, under load at most {max(rss):.0f} MB (peak {rss_kb / 1024:.0f} MB)")
    for e in sorted(set(errors))[:10]:
        print("  error:", e)


if __name__ == "__main__":
    main()
