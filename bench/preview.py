"""Benchmark: the builder's preview round trip in a real Chromium, from a change to the new image on screen.

Starts `handouts serve`'s app (as tests/webserver.py runs it), builds a three-exercise plan, then
changes a dose N times, each time timing from the keystroke to the preview's new image (its
data-version, set once the image is decoded). Prints median and worst.

Run from the repository root with '.[test]' installed:
  python bench/preview.py [CHANGES] [--tree DIR]
--tree DIR serves another checkout's page and app (a baseline: `git worktree add /tmp/base REF`).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve() if "--tree" in sys.argv else ROOT
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(TREE))  # the served app is the tree's; the harness is this checkout's

from tests.webserver import running  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> None:
    from playwright.sync_api import sync_playwright

    args = [a for i, a in enumerate(sys.argv[1:], 1) if a != "--tree" and sys.argv[i - 1] != "--tree"]
    changes = int(args[0]) if args else 30
    times: list[float] = []
    with running(Path(tempfile.mkdtemp())) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(site + "/")
        page.fill("#patient", "Ana Lima")
        for word in ("bridge", "clamshell", "bird dog"):
            page.fill("#search", word)
            page.wait_for_timeout(400)
            page.locator("#results button.add").first.click()
        page.wait_for_selector("#preview[src]")
        sets = page.locator('#plan li[data-id="bridge"] input.sets')
        for n in range(changes + 2):
            version = int(page.get_attribute("#preview", "data-version") or 0)
            started = time.perf_counter()
            sets.fill(str(2 + n % 3))
            while int(page.get_attribute("#preview", "data-version") or 0) <= version:
                page.wait_for_timeout(5)
            if n >= 2:  # the first two warm the server up
                times.append(time.perf_counter() - started)
        browser.close()
    print(
        f"app of {TREE}: preview round trip over {len(times)} changes (includes the page's pause after typing: 120 ms, 200 ms before): "
        f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
