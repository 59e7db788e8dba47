"""How long a Ctrl-C takes to end a 1,000-row batch that is emailing, against a real SMTP server.

Run from the repository root with the test extras installed: python bench/interrupt.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

ROWS = 1000


class Inbox:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="handouts-interrupt-"))
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=8049)
    controller.start()
    from handouts.paths import DEFAULT_CLINIC

    clinic = tmp / "clinic.toml"
    clinic.write_text(
        DEFAULT_CLINIC.read_text().replace(
            "\n[rpe_legend]",
            ('\n[email]\nhost = "localhost"\nport = 8049\nsecurity = "none"\nsender = "desk@zenith.example"\n\n[rpe_legend]'),
        )
        if "[rpe_legend]" in DEFAULT_CLINIC.read_text()
        else DEFAULT_CLINIC.read_text()
        + ('\n[email]\nhost = "localhost"\nport = 8049\nsecurity = "none"\nsender = "desk@zenith.example"\n')
    )
    roster = tmp / "roster.csv"
    roster.write_text("name,email\n" + "".join(f"Runner {i:04d},r{i}@example.com\n" for i in range(ROWS)))
    env = {**os.environ, "HANDOUTS_HISTORY": str(tmp / "h.sqlite3")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "handouts", "batch", str(roster), "-o", str(tmp / "out"), "--email", "--clinic", str(clinic), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    while inbox.count < 50:  # well into the sending
        time.sleep(0.01)
    started = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait()
    took = time.perf_counter() - started
    controller.stop()
    said = proc.stderr.read().decode().strip().splitlines()
    print(
        f"Ctrl-C during a {ROWS}-row batch --email: ended in {took * 1000:.0f} ms, exit {proc.returncode}, "
        f"{inbox.count} messages received; last line: {said[-1] if said else ''}"
    )


if __name__ == "__main__":
    main()
