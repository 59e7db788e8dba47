"""Re-render the README's pictures of the page (100 dpi PNGs), after a change to the page.

Run from the repository root with '.[test]' installed and poppler's pdftoppm on the PATH:
    python docs/pictures.py
The photos beside the exercises are the test suite's made-up scenes (tests/photos.py);
the date is pinned so the pictures only change when the page does. The scan pictures
come from tests/test_scan.py (HANDOUTS_REGENERATE=1) and the web page's from the browser test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.photos import scene  # noqa: E402

SIX = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise", "single-leg-heel-raise", "calf-stretch"]
LONGEST = ["wall-calf-raise", "hinge-tall-toes", "band-row", "hip-flexor-stretch", "hinge-heel-raised", "bird-dog"]


def main() -> None:
    handouts = str(Path(sys.executable).with_name("handouts"))
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1795608000"}  # 2026-11-25
    tmp = Path(tempfile.mkdtemp())
    library = tmp / "library"
    subprocess.run([handouts, "init", str(library)], check=True, env=env, stdout=subprocess.DEVNULL)
    for n, exercise in enumerate(SIX):
        photo = tmp / f"{exercise}.jpg"
        scene(1200, 1600, seed=n + 1).save(photo, quality=85)
        subprocess.run(
            [handouts, "picture", "add", exercise, str(photo), "--library", str(library)], check=True, env=env, stdout=subprocess.DEVNULL
        )
    plain: list[str] = []  # the shipped library
    pages = {
        "handout": ["Zoë O'Brien", "--start", "2026-11-30", *plain],
        "handout-pictures": ["Zoë O'Brien", "--start", "2026-11-30", "--library", str(library)],
        "handout-es": ["Ana Lima", "--lang", "es", *plain],
        "handout-one": [
            "Ana Lima",
            "wall-calf-raise:3x8-10@8/2w",
            "--large-print",
            "--note",
            "Left side only for the first week. Stop at the first sharp pain.",
            *plain,
        ],
        "handout-six-pictures": ["Ana Lima", *SIX, "--library", str(library)],
        "handout-six-drawings": ["Ana Lima", *LONGEST, "--paper", "a4", "--note", "Left side first. Call us if the knee swells."],
    }
    for name, args in pages.items():
        pdf = tmp / f"{name}.pdf"
        subprocess.run([handouts, "make", *args, "-o", str(pdf), "--no-history"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf), str(ROOT / "docs" / name)], check=True)
        print(f"docs/{name}.png")
    sheet = tmp / "figures.pdf"  # the contact sheet's first page: twenty drawings and their titles
    subprocess.run([handouts, "figures", "-o", str(sheet)], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(sheet), str(ROOT / "docs" / "figures")], check=True
    )
    print("docs/figures.png")


if __name__ == "__main__":
    main()
