"""Benchmark: one cold `handouts make`, a 1,000-row batch, and WeasyPrint on the same page.

Run from the repository root with the package installed (and `pip install weasyprint` for
the comparison):  python bench/bench.py
Not part of the test suite: timings belong here, not in assertions.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLD_RUNS = 20
BATCH_ROWS = 1000
SEEDS = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]


def handouts_cmd() -> list[str]:
    script = Path(sys.executable).with_name("handouts")
    return [str(script)] if script.exists() else [sys.executable, "-m", "handouts"]


def timed(command: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def cold_make(tmp: Path, *extra: str) -> tuple[float, int]:
    out = tmp / "cold.pdf"
    command = handouts_cmd() + ["make", "Zoë O'Brien", "-o", str(out), "--force", *extra]
    timed(command)  # warm the file cache and byte-code, as a clinic machine would be
    times = [timed(command) for _ in range(COLD_RUNS)]
    return statistics.median(times), out.stat().st_size


def cold_make_with_pictures(tmp: Path) -> tuple[float, int]:
    """The same cold make with a photo imported for each of the four exercises."""
    from PIL import Image, ImageDraw, ImageFilter

    from handouts.paths import DEFAULT_LIBRARY

    library = tmp / "library"
    shutil.copytree(DEFAULT_LIBRARY, library)
    rng = random.Random(2)
    for i, exercise_id in enumerate(SEEDS):
        photo = Image.new("RGB", (4000, 3000), (150, 190, 235))
        draw = ImageDraw.Draw(photo)
        for _ in range(300):
            x, y, r = rng.randrange(4000), rng.randrange(3000), rng.randrange(40, 200)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), 90 + i * 30))
        path = tmp / f"photo{i}.jpg"
        photo.filter(ImageFilter.GaussianBlur(4)).save(path, quality=90)
        subprocess.run(
            handouts_cmd() + ["picture", "add", exercise_id, str(path), "--library", str(library)], check=True, stdout=subprocess.DEVNULL
        )
    out = tmp / "pictures.pdf"
    command = handouts_cmd() + ["make", "Zoë O'Brien", "--library", str(library), "-o", str(out), "--force"]
    timed(command)
    return statistics.median(timed(command) for _ in range(COLD_RUNS)), out.stat().st_size


def roster_rows(changed: int = 0) -> list[list[str]]:
    rng = random.Random(1)
    rows = [
        [f"Runner {i:04d} Ní Bhriain", " ".join(rng.sample(SEEDS, rng.randint(1, 4))), "2026-12-01", rng.choice(["letter", "a4"])]
        for i in range(BATCH_ROWS)
    ]
    for row in rows[:changed]:
        row[1] += " " if "wall-calf-raise" in row[1] else " wall-calf-raise"
        row[1] = row[1].replace("wall-calf-raise", "wall-calf-raise:3x8@8", 1)
    return rows


def write_roster(path: Path, changed: int = 0) -> Path:
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(["name", "exercises", "start", "paper"])
        for row in roster_rows(changed):
            sheet.append(row)
        book.save(path)
        return path
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "exercises", "start", "paper"])
        w.writerows(roster_rows(changed))
    return path


def batch(
    tmp: Path, *extra: str, roster_name: str = "roster.csv", fresh: bool = True, changed: int = 0, combined_file: bool = True
) -> tuple[float, int, int]:
    roster = write_roster(tmp / roster_name, changed)
    out = tmp / "batch"
    if fresh:
        shutil.rmtree(out, ignore_errors=True)
    combined = tmp / "all.pdf"
    also = ["--combined", str(combined)] if combined_file else []
    seconds = timed(handouts_cmd() + ["batch", str(roster), "-o", str(out), *also, "--jobs", "2", *extra], stderr=subprocess.DEVNULL)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kb, combined.stat().st_size


WEASY_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from html_page import html_page
from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from weasyprint import HTML
h = compose(load_library(), load_clinic(), "Zoë O'Brien")
HTML(string=html_page(h)).write_pdf({out!r})
"""


def weasyprint_cold(tmp: Path) -> tuple[float, int] | None:
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return None
    out = tmp / "weasy.pdf"
    command = [sys.executable, "-c", WEASY_SCRIPT.format(here=str(HERE), out=str(out))]
    timed(command)
    times = [timed(command, stderr=subprocess.DEVNULL) for _ in range(5)]
    return statistics.median(times), out.stat().st_size


def warm_cpu_ms(count: int = 300) -> float:
    """CPU per handout once fonts, QR and text measurements are warm, as in a batch worker."""
    from handouts.compose import compose
    from handouts.library.load import load_clinic, load_library
    from handouts.render.pdf import render

    library, clinic = load_library(), load_clinic()
    handouts = [compose(library, clinic, f"Runner {i:04d} Ní Bhriain", SEEDS[: 1 + i % 4]) for i in range(count)]
    render(handouts[:10])
    start = time.process_time()
    for h in handouts:
        render([h])
    return (time.process_time() - start) / count * 1000


def main() -> None:
    import compileall

    import handouts

    # a clinic's install has its byte-code; a shell with PYTHONDONTWRITEBYTECODE would time compiling instead
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(Path(handouts.__file__).parent, quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="handouts-bench-"))
    os.environ["HANDOUTS_HISTORY"] = str(tmp / "history.sqlite3")  # never the developer's own history
    try:
        cold, size = cold_make(tmp)
        cold_bare, _ = cold_make(tmp, "--no-history")
        batch_bare, _, _ = batch(tmp, "--no-history")
        batch_s, peak_kb, combined_size = batch(tmp)  # before any photo import, whose decoding would own the peak
        rerun_s, _, _ = batch(tmp, fresh=False, changed=10)
        rerun_single_s, _, _ = batch(tmp, fresh=False, changed=20, combined_file=False)
        xlsx_s, _, _ = batch(tmp, roster_name="roster.xlsx")
        pictured, pictured_size = cold_make_with_pictures(tmp)
        weasy = weasyprint_cold(tmp)
        warm = warm_cpu_ms()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"(a) one cold `handouts make`:      {cold * 1000:7.1f} ms  -> {1 / cold:7.1f} handouts/s  ({size / 1024:.1f} KB PDF)")
    print(f"    ... with --no-history:        {cold_bare * 1000:7.1f} ms  (recording costs {(cold - cold_bare) * 1000:+.1f} ms)")
    print(f"    ... with four photos:         {pictured * 1000:7.1f} ms  ({pictured_size / 1024:.1f} KB PDF)")
    print(f"    warm, in-process CPU per handout: {warm:5.1f} ms")
    print(
        f"(b) {BATCH_ROWS}-row batch, --jobs 2:     {batch_s:7.2f} s   -> {BATCH_ROWS / batch_s:7.1f} handouts/s  "
        f"(peak RSS {peak_kb / 1024:.0f} MB, combined file {combined_size / 1024 / 1024:.1f} MB)"
    )
    print(f"    ... with --no-history:        {batch_bare:7.2f} s   (recording costs {batch_s - batch_bare:+.2f} s)")
    print(f"    ... from an .xlsx roster:     {xlsx_s:7.2f} s")
    print(
        f"    ... rerun, 10 rows changed:   {rerun_s:7.2f} s   ({rerun_s / batch_s:.0%} of the first run; "
        "the 1,000-page print file is made again)"
    )
    print(f"    ... the same, no print file: {rerun_single_s:7.2f} s   ({rerun_single_s / batch_s:.0%})")
    if weasy:
        w, wsize = weasy
        print(f"(c) WeasyPrint, same page, cold:  {w * 1000:7.1f} ms  -> {1 / w:7.1f} handouts/s  ({wsize / 1024:.1f} KB PDF)")
        print(
            f"ratios: cold make is {w / cold:.1f}x faster than WeasyPrint; "
            f"the batch makes {(BATCH_ROWS / batch_s) / (1 / w):.0f}x more handouts per second"
        )
    else:
        print("(c) WeasyPrint not installed: pip install weasyprint")


if __name__ == "__main__":
    main()
