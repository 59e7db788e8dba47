"""The paper log comes back: a phone photo of the ticked sheet is read at the next visit.

Real handouts are made by the command line into a real history, ticked by a simulated
hand and photographed by a simulated phone (tests/sheetphotos.py); the real scanner reads
them. Where the boxes are, for the answer key, comes from the PDF's own drawing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import pickle
import sqlite3
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from handouts.cli import main
from handouts.scan import reader as scan

from . import sheetphotos as sp

# one worker runs this whole file, so its expensive shared fixtures are made once
pytestmark = pytest.mark.xdist_group("test_scan")

# Three handouts as a clinic prints them: the default four, six in Spanish on A4 (the page's
# fullest log), one exercise in large print (the biggest boxes).
PATIENTS = {
    "four": ("Zoe Park", ["--start", "2026-11-30"]),
    "six": (
        "Ana Ruiz",
        [
            "hinge-heel-raised",
            "hinge-plate",
            "hinge-tall-toes",
            "wall-calf-raise:3x12/3w",
            "ankle-pumps",
            "calf-stretch",
            "--paper",
            "a4",
            "--lang",
            "es",
            "--start",
            "2026-12-28",
        ],
    ),
    "one": ("Bo Li", ["wall-calf-raise:3x10@8/2w", "--large-print", "--start", "2026-11-30"]),
}
WHOLE = range(0, 66)  # whole sheet on a table, at an angle
CLOSE = range(100, 124)  # the log close up, the phone held sideways
UPSIDE = range(200, 206)  # the sheet the other way up
COVERED = range(300, 306)  # a sticky note over both right-hand markers: found by the page's outline


@pytest.fixture(scope="session")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The handouts made, as the front desk would, into one history file."""
    root = tmp_path_factory.mktemp("clinic")
    history = root / "history.sqlite3"
    runner = CliRunner()
    made: dict[str, object] = {"history": history, "root": root}
    for key, (name, args) in PATIENTS.items():
        result = runner.invoke(main, ["make", name, *args, "-o", str(root / f"{key}.pdf"), "--history", str(history)])
        assert result.exit_code == 0, result.output
        pdf = (root / f"{key}.pdf").read_bytes()
        made[key] = sp.sheet(pdf)
        made[f"{key}.sha256"] = hashlib.sha256(made[key].image.tobytes()).hexdigest()  # the page as drawn
    return made


# Generated photos kept between runs, keyed by everything that makes them: the page as drawn,
# the seed and the generator's own code. A photo costs 0.7 s to make and the set is 102.
PHOTO_CACHE = Path(tempfile.gettempdir()) / "handouts-test-photos"
_GENERATOR = hashlib.sha256(Path(sp.__file__).read_bytes()).hexdigest()
_SOURCE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # how this file asks for each photo


def _cached_photo(clinic: dict[str, object], seed: int, damage: str = "") -> tuple[bytes, sp.Ticks, str, sp.Shot]:
    key = list(PATIENTS)[seed % 3]
    digest = hashlib.sha256(f"{clinic[f'{key}.sha256']}:{seed}:{damage}:{_GENERATOR}:{_SOURCE}".encode()).hexdigest()
    path = PHOTO_CACHE / f"{digest[:32]}.pickle"
    try:
        found: tuple[bytes, sp.Ticks, str, sp.Shot] = pickle.loads(path.read_bytes())
        return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    made = _photo(clinic, seed, damage)
    PHOTO_CACHE.mkdir(exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(made))
    os.replace(tmp, path)  # whole or not at all, even with two workers at once
    return made


def _photo(clinic: dict[str, object], seed: int, damage: str = "") -> tuple[bytes, sp.Ticks, str, sp.Shot]:
    key = list(PATIENTS)[seed % 3]
    sheet = clinic[key]
    assert isinstance(sheet, sp.Sheet)
    rng = np.random.default_rng(seed)
    pen = 1 + seed % 5
    page, ticks = sp.tick_sheet(sheet, rng, pen=pen, colour=("black", "blue")[seed // 5 % 2])
    page = sp.damaged(page, sheet, ticks, rng, damage)
    kw: dict[str, object] = {}
    if seed in CLOSE:
        b, pt = sheet.boxes, sp.PT
        kw["closeup_box"] = (4 * pt, b[0][0][1] - 80 * pt, page.shape[1] - 4 * pt, b[-1][0][1] + 30 * pt)
    if seed in UPSIDE:
        kw["upside_down"] = True
    if seed in COVERED:
        page = sp.cover_right_markers(page, sheet)
    if damage == "sent through a chat app":  # 1500 x 2000, as a messenger sends a photo on
        kw.update(size=(1500, 2000), blur_range=(0.8, 1.4), quality_range=(60, 61))
    jpeg, shot = sp.photograph(page, seed, **kw)  # type: ignore[arg-type]
    return jpeg, ticks, key, shot


@pytest.fixture(scope="session")
def readings(clinic: dict[str, object]) -> list[dict[str, object]]:
    """Every generated photo read by the scanner: what was ticked, and what it said."""
    out = []
    for seed in [*WHOLE, *CLOSE, *UPSIDE, *COVERED]:
        jpeg, ticks, key, shot = _cached_photo(clinic, seed)
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        started = time.perf_counter()
        reading = scan.read_image(image, f"seed {seed}")
        out.append({"seed": seed, "key": key, "ticks": ticks, "shot": shot, "reading": reading, "seconds": time.perf_counter() - started})
    return out


def _score(rows: list[dict[str, object]]) -> tuple[int, int, int, int]:
    """(true ticks found, empty boxes called ticked, ticks missed or left unsure, unsure boxes)."""
    found = false = missed = unsure = 0
    for r in rows:
        reading, ticks = r["reading"], r["ticks"]
        assert isinstance(reading, scan.Reading) and isinstance(ticks, sp.Ticks)
        for row, states in enumerate(reading.boxes):
            for day, state in enumerate(states):
                truth = (row, day) in ticks.ticked
                found += truth and state is True
                false += (not truth) and state is True
                missed += truth and state is not True
                unsure += state is None
    return found, false, missed, unsure


def test_a_hundred_phone_photos_are_read_box_by_box(readings):
    assert len(readings) >= 100
    found, false, missed, unsure = _score(readings)
    precision, recall = found / (found + false), found / (found + missed)
    assert precision >= 0.995, (precision, false)
    assert recall >= 0.97, (recall, missed, unsure)
    # the same sheets each time: the rows read are the handout's own
    rows = {"four": 4, "six": 6, "one": 1}
    assert all(len(r["reading"].boxes) == rows[r["key"]] for r in readings)  # type: ignore[attr-defined]


def test_every_pen_from_a_fine_liner_to_a_marker_is_read(readings):
    by_pen: dict[int, list[dict[str, object]]] = defaultdict(list)
    for r in readings:
        by_pen[r["ticks"].pen].append(r)  # type: ignore[attr-defined]
    assert sorted(by_pen) == [1, 2, 3, 4, 5]
    for pen, rows in by_pen.items():
        found, false, missed, _ = _score(rows)
        assert found / (found + false) >= 0.99, pen
        assert found / (found + missed) >= 0.95, pen


def test_close_ups_turned_sheets_and_covered_markers_are_found(readings):
    by = {r["seed"]: r["reading"] for r in readings}
    assert all(by[s].found_by == "markers" for s in [*CLOSE, *UPSIDE])  # type: ignore[attr-defined]
    assert all(by[s].found_by == "page outline" for s in COVERED)  # type: ignore[attr-defined]
    for group in (CLOSE, UPSIDE, COVERED):
        found, false, missed, _ = _score([r for r in readings if r["seed"] in group])
        assert false == 0 and found / (found + missed) >= 0.97


def test_the_code_beside_the_log_names_the_sheet_and_its_days(readings, clinic):
    history = clinic["history"]
    with sqlite3.connect(history) as db:
        sheets = dict(db.execute("SELECT patient, sheet FROM handouts").fetchall())
    names = {key: name for key, (name, _) in PATIENTS.items()}
    starts = {"four": dt.date(2026, 11, 30), "six": dt.date(2026, 12, 28), "one": dt.date(2026, 11, 30)}
    for r in readings:
        code = r["reading"].code  # type: ignore[attr-defined]
        assert code.sheet == sheets[names[r["key"]]]  # type: ignore[index]
        assert code.start == starts[r["key"]]  # type: ignore[index]
    goals = {r["key"]: r["reading"].code.per_week for r in readings}  # type: ignore[attr-defined]
    assert goals == {"four": (7, 7, 7, 2), "six": (7, 7, 7, 3, 7, 7), "one": (2,)}


# -- sheets as patients bring them back: folded to carry, curled, creased, a day taken back ------

DAMAGED = {  # five photos of each, every pen and all three sheets among them
    "folded between two rows": range(500, 505),
    "folded between two days": range(510, 515),
    "curled": range(520, 525),
    "creased through a row": range(530, 535),
    "crossed out": range(540, 545),
}


@pytest.fixture(scope="session")
def damaged(clinic: dict[str, object]) -> dict[str, list[tuple[sp.Ticks, scan.Reading | None]]]:
    out: dict[str, list[tuple[sp.Ticks, scan.Reading | None]]] = {}
    for damage, seeds in DAMAGED.items():
        out[damage] = []
        for seed in seeds:
            jpeg, ticks, _, _ = _cached_photo(clinic, seed, damage)
            try:
                reading = scan.read_image(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), f"{damage} {seed}")
            except scan.Unreadable:
                reading = None
            out[damage].append((ticks, reading))
    return out


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_sheet_brought_back_folded_curled_or_creased_is_never_read_wrong(damaged, damage):
    read = [(t, r) for t, r in damaged[damage] if r is not None]
    assert len(read) >= 4, f"{damage}: {5 - len(read)} of 5 refused"
    found = missed = 0
    for ticks, reading in read:
        for row, states in enumerate(reading.boxes):
            for day, state in enumerate(states):
                ticked = (row, day) in ticks.ticked
                assert state is not True or ticked, (damage, reading.photo, row, day, "called ticked")
                assert state is not False or not ticked, (damage, reading.photo, row, day, "a tick called empty")
                found += ticked and state is True
                missed += ticked and state is not True
    assert found / (found + missed) >= 0.9, (damage, found, missed)  # unsure where it must be, not everywhere


def test_a_whole_page_sent_through_a_chat_app_is_read_module_by_module(clinic):
    """1500 x 2000 pixels, blurred and JPEG 60: the small code's modules are two pixels each, too few for
    a reader's own search; sampled one by one they are read, and what is read is right."""
    sheets = {name: sheet for name, sheet in _sheet_numbers(clinic).items()}
    read = found = drawn = 0
    for seed in range(600, 612):
        jpeg, ticks, key, _ = _cached_photo(clinic, seed, "sent through a chat app")
        try:
            reading = scan.read_image(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), f"chat {seed}")
        except scan.Unreadable as e:
            assert "a chat app shrinks the photos it sends" in str(e)  # refused as what it is
            continue
        read += 1
        assert reading.code.sheet == sheets[key]
        for row, states in enumerate(reading.boxes):
            for day, state in enumerate(states):
                assert state is not True or (row, day) in ticks.ticked, (seed, row, day)
                assert state is not False or (row, day) not in ticks.ticked, (seed, row, day)
                found += state is True and (row, day) in ticks.ticked
        drawn += len(ticks.ticked)
    assert read >= 11, f"{read} of 12 chat-app photos read"  # the issue asks 95%; bench/scan.py --kind "chat app" measures it
    assert found >= 0.9 * drawn, (found, drawn)  # the finest pen too: read, not only left unsure


def test_a_sheet_printed_before_the_shorter_code_still_reads(clinic, monkeypatch):
    """Sheets given out with format 1's longer code (a version 2 QR) come back for weeks after."""
    from handouts import sheet as geometry
    from handouts.compose import compose
    from handouts.library.load import load_clinic, load_library
    from handouts.render.pdf import render

    from .pdfread import decode_qr
    from .pdfread import render as render_png

    monkeypatch.setattr(geometry, "to_text", geometry._fields_text)  # as handouts printed it until now
    pdf = render([compose(load_library(), load_clinic(), "Zoe Park", start=dt.date(2026, 11, 30))])
    monkeypatch.undo()
    printed = [t for t in decode_qr(render_png(pdf, dpi=150)) if t.startswith("HO1")]
    assert len(printed) == 1
    old = sp.sheet(pdf)
    page, ticks = sp.tick_sheet(old, np.random.default_rng(7), pen=3)
    jpeg, _ = sp.photograph(page, 7)
    reading = scan.read_image(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
    assert reading.code == geometry.parse(printed[0])
    assert {(r, d) for r, row in enumerate(reading.boxes) for d, state in enumerate(row) if state} == ticks.ticked


def _sheet_numbers(clinic: dict[str, object]) -> dict[str, str]:
    with sqlite3.connect(clinic["history"]) as db:  # type: ignore[arg-type]
        by_name = dict(db.execute("SELECT patient, sheet FROM handouts").fetchall())
    return {key: by_name[name] for key, (name, _) in PATIENTS.items()}


def test_a_tick_crossed_out_is_never_counted_as_done(damaged):
    cancelled = 0
    for ticks, reading in damaged["crossed out"]:
        if reading is None:
            continue
        for row, day in ticks.cancelled:
            cancelled += 1
            assert reading.boxes[row][day] is None, (reading.photo, row, day)  # unsure: the therapist asks
    assert cancelled >= 9


def test_glare_over_the_log_leaves_boxes_unsure_never_empty(clinic):
    read = 0
    for seed in range(400, 409):
        sheet = clinic[list(PATIENTS)[seed % 3]]
        page, ticks = sp.tick_sheet(sheet, np.random.default_rng(seed), pen=3)  # type: ignore[arg-type]
        row = sheet.boxes[len(sheet.boxes) // 2]  # type: ignore[attr-defined]
        # a lamp over the second week; over the middle of a smaller log it washes out so much that
        # the photo is refused (rightly), and the rule below would go untested
        jpeg, _ = sp.photograph(page, seed, glare=(row[12][0], row[12][1]))
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        try:
            reading = scan.read_image(image)
        except scan.Unreadable:  # the log or its markers washed out: the whole photo is refused
            continue
        read += 1
        for row, states in enumerate(reading.boxes):
            for day, state in enumerate(states):
                if state is False:
                    assert (row, day) not in ticks.ticked, (seed, row, day)
                if state is True:
                    assert (row, day) in ticks.ticked, (seed, row, day)
    assert read >= 3  # enough read for the rule above to have been tested


# -- refusals: a reason a person can act on, exit 1, nothing recorded --------------------------


def _refusal_photos(clinic: dict[str, object], tmp: Path) -> dict[str, Path]:
    sheet = clinic["four"]
    assert isinstance(sheet, sp.Sheet)
    page, _ = sp.tick_sheet(sheet, np.random.default_rng(1))
    b, pt = sheet.boxes, sp.PT
    photos: dict[str, bytes] = {
        "table": cv2.imencode(".jpg", cv2.resize(np.random.default_rng(2).integers(60, 120, (102, 77, 3)).astype(np.uint8), (2448, 3264)))[
            1
        ].tobytes(),
        "blurred": sp.photograph(page, 5, blur=6)[0],
        "top half": sp.photograph(page[: page.shape[0] // 2], 6)[0],
        "left half of the log": sp.photograph(page, 7, closeup_box=(0, b[0][0][1] - 80 * pt, page.shape[1] * 0.55, b[-1][0][1] + 30 * pt))[
            0
        ],
    }
    far = cv2.imdecode(np.frombuffer(sp.photograph(page, 8)[0], np.uint8), cv2.IMREAD_COLOR)
    distant = np.full_like(far, 70)  # the sheet a third the size, in a full-size photo of the table
    small = cv2.resize(far, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    distant[1000 : 1000 + small.shape[0], 800 : 800 + small.shape[1]] = small
    photos["far away"] = cv2.imencode(".jpg", distant)[1].tobytes()
    photos["sent through a chat app"] = cv2.imencode(".jpg", cv2.resize(far, None, fx=0.3, fy=0.3))[1].tobytes()
    photos["farther"] = cv2.imencode(".jpg", cv2.resize(far, None, fx=0.15, fy=0.15, interpolation=cv2.INTER_AREA))[1].tobytes()
    thumb = page.copy()  # a dark thumb along the right edge, over both right-hand markers, in a close-up
    top, bottom = int(b[0][0][1] - 70 * pt), int(b[-1][0][1] + 40 * pt)
    cv2.rectangle(thumb, (int(page.shape[1] - 40 * pt), top), (page.shape[1], bottom), (45, 50, 60), -1)
    photos["thumb"] = sp.photograph(thumb, 12, closeup_box=(4 * pt, b[0][0][1] - 80 * pt, page.shape[1] - 4 * pt, b[-1][0][1] + 30 * pt))[0]
    photos["badly folded"] = sp.photograph(sp.fold(page, sheet, np.random.default_rng(3), shift_mm=3.0), 10)[0]
    paths = {}
    for name, data in photos.items():
        paths[name] = tmp / f"{name.replace(' ', '-')}.jpg"
        paths[name].write_bytes(data)
    (tmp / "notes.jpg").write_text("not a picture")
    paths["not a picture"] = tmp / "notes.jpg"
    (tmp / "empty.jpg").write_bytes(b"")
    paths["empty"] = tmp / "empty.jpg"
    (tmp / "a folder.jpg").mkdir()
    paths["a folder"] = tmp / "a folder.jpg"
    return paths


REFUSALS = {
    "table": scan.NO_SHEET,
    "blurred": scan.BLURRED,
    "top half": scan.NO_SHEET,
    "left half of the log": scan.MARKERS_OUT.format(corners="top-right and bottom-right", marker="markers are"),
    "far away": scan.TOO_SMALL,
    "sent through a chat app": scan.SHRUNK.format(w=734, h=979),
    "farther": scan.MARKERS_SMALL,  # the markers are there, only too small to find: not "not in the photo"
    "thumb": scan.MARKERS_HIDDEN.format(corners="top-right and bottom-right", marker="markers are", it="them"),
    "badly folded": scan.FOLDED,
    "not a picture": "not a photo this can read; use a JPEG or PNG picture of the sheet",
    "empty": "the file is empty; not a photo this can read; use a JPEG or PNG picture of the sheet",
    "a folder": "this is a folder, not a photo: name the photos in it (for example a folder.jpg/*.jpg)",
}


def test_photos_without_a_readable_sheet_are_refused_with_a_reason(clinic, tmp_path, history_file):
    photos = _refusal_photos(clinic, tmp_path)
    runner = CliRunner()
    for name, reason in REFUSALS.items():
        result = runner.invoke(main, ["scan", str(photos[name])])
        assert result.exit_code == 1, (name, result.output)
        assert result.stderr.strip() == f"Error: {photos[name]}: {reason}", name
        assert "Traceback" not in result.output and result.stdout == ""
    assert not history_file.exists() or _scans(history_file) == 0


def _scans(history: Path) -> int:
    with sqlite3.connect(history) as db:
        return int(db.execute("SELECT count(*) FROM scans").fetchone()[0])


# -- the follow-up visit, as a therapist runs it ------------------------------------------------


def test_a_sheet_printed_ticked_and_photographed_is_read_and_remembered(tmp_path, history_file):
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["make", "Zoë O'Brien", "hinge-heel-raised", "wall-calf-raise:3x10@8/2w", "--start", "2026-11-30", "-o", str(tmp_path / "zoe.pdf")],
    )
    assert made.exit_code == 0, made.output
    sheet = sp.sheet((tmp_path / "zoe.pdf").read_bytes())
    page, ticks = sp.tick_sheet(sheet, np.random.default_rng(7), pen=3, colour="blue")
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(sp.photograph(page, 7)[0])

    first = runner.invoke(main, ["scan", str(photo), "--annotate", str(tmp_path / "read")])
    assert first.exit_code == 0, first.output
    out = first.stdout
    assert out.startswith(f"{photo}: Zoë O'Brien, sheet ")
    hinge = sorted(d for r, d in ticks.ticked if r == 0)
    calf = [sum(1 for r, d in ticks.ticked if r == 1 and w * 7 <= d < w * 7 + 7) for w in (0, 1)]
    done = sum(min(n, 7) for n in [sum(1 for d in hinge if d < 7), sum(1 for d in hinge if d >= 7)]) + sum(min(n, 2) for n in calf)
    assert f"Done: {done} of 18 planned sessions" in out
    start = dt.date(2026, 11, 30)
    days = " ".join(f"{start + dt.timedelta(days=d):%a} {(start + dt.timedelta(days=d)).day}" for d in hinge)
    assert f"ticked: {days}\n" in out
    drawn = cv2.imread(str(tmp_path / "read" / "IMG_2041-read.jpg"))
    assert drawn is not None and drawn.shape[:2] == cv2.imread(str(photo)).shape[:2]
    if os.environ.get("HANDOUTS_REGENERATE"):  # the README's pictures and output, from this very run
        docs = Path(__file__).parent.parent / "docs"
        for name, image in (("scan-photo.jpg", cv2.imread(str(photo))), ("scan-read.jpg", drawn)):
            small = cv2.resize(image, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(docs / name), small, [cv2.IMWRITE_JPEG_QUALITY, 80])
        (docs / "scan-output.txt").write_text(out.replace(str(photo), "IMG_2041.jpg"), encoding="utf-8")

    again = runner.invoke(main, ["scan", str(photo), "--json"])
    assert again.exit_code == 0
    data = json.loads(again.stdout)
    assert data["patient"] == "Zoë O'Brien" and data["start"] == "2026-11-30" and data["planned"] == 18
    assert data["rows"][0]["exercise"] == "Ankle hinge, back heel raised"
    assert data["rows"][0]["ticked"] == [(start + dt.timedelta(days=d)).isoformat() for d in hinge]
    assert data["done"] == done and data["recorded"] is False  # the same photo: recorded once
    assert "read before; recorded once" in again.stderr
    assert _scans(history_file) == 1

    shown = runner.invoke(main, ["history", "zoe o'brien"])
    assert f"Log brought back {dt.date.today().isoformat()}: {done} of 18 planned sessions done" in shown.stdout
    assert f"log back: {done} of 18 sessions" in runner.invoke(main, ["history"]).stdout  # the front desk's list


def test_a_sheet_from_another_computer_is_read_but_not_recorded(clinic, tmp_path, history_file):
    jpeg = _photo(clinic, 3)[0]
    photo = tmp_path / "from-elsewhere.jpg"
    photo.write_bytes(jpeg)
    result = CliRunner().invoke(main, ["scan", str(photo), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["patient"] is None and data["rows"][0]["exercise"] == "Exercise 1" and data["recorded"] is None
    assert "is not in this history" in result.stderr and "read, not recorded" in result.stderr

    none = CliRunner().invoke(main, ["scan", str(photo), "--no-history", "--history", str(tmp_path / "h.sqlite3")])
    assert none.exit_code == 0 and not (tmp_path / "h.sqlite3").exists()


def test_one_bad_photo_does_not_stop_the_others(clinic, tmp_path):
    good = tmp_path / "good.jpg"
    good.write_bytes(_photo(clinic, 0)[0])
    bad = tmp_path / "bad.png"
    cv2.imwrite(str(bad), np.full((400, 300, 3), 200, np.uint8))
    result = CliRunner().invoke(main, ["scan", str(bad), str(good), "--json", "--no-history"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {"photo": str(bad), "refused": scan.NO_SHEET}
    assert lines[1]["photo"] == str(good) and lines[1]["planned"] == 46


def test_scan_needs_photos(runner):
    result = runner.invoke(main, ["scan"])
    assert result.exit_code == 2 and "Missing argument 'PHOTOS...'" in result.output


def test_an_iphone_heic_photo_is_read(clinic, tmp_path):
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    jpeg, ticks, _, _ = _cached_photo(clinic, 0)
    photo = tmp_path / "IMG_5120.HEIC"
    # x265's fastest preset: 1.5 s to encode 8 MP here, against 10 s for its default
    Image.open(io.BytesIO(jpeg)).save(photo, quality=80, enc_params={"preset": "ultrafast"})
    result = CliRunner().invoke(main, ["scan", str(photo), "--json", "--no-history"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    start = dt.date(2026, 11, 30)
    ticked = {(r, (dt.date.fromisoformat(d) - start).days) for r, row in enumerate(data["rows"]) for d in row["ticked"]}
    assert ticked == ticks.ticked and data["planned"] == 46


def test_a_damaged_history_never_costs_the_reading(clinic, tmp_path):
    photo = tmp_path / "IMG_0007.jpg"
    photo.write_bytes(_photo(clinic, 0)[0])
    damaged = tmp_path / "history.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    before = damaged.read_bytes()
    result = CliRunner().invoke(main, ["scan", str(photo), "--history", str(damaged)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{photo}: sheet ") and "Done: " in result.stdout  # the reading is shown
    assert "the history file is damaged" in result.stderr and "was not recorded in the history" in result.stderr
    assert damaged.read_bytes() == before


def test_a_fine_pen_in_a_soft_photo_is_read_or_left_unsure_never_called_empty(clinic):
    sheet = clinic["four"]
    assert isinstance(sheet, sp.Sheet)
    read = 0
    for seed in range(500, 510):
        page, ticks = sp.tick_sheet(sheet, np.random.default_rng(seed), pen=1)
        jpeg, _ = sp.photograph(page, seed, blur=2.0, quality_range=(50, 51))
        try:
            reading = scan.read_image(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
        except scan.Unreadable:
            continue
        read += 1
        for row, states in enumerate(reading.boxes):
            for day, state in enumerate(states):
                assert state is not False or (row, day) not in ticks.ticked, (seed, row, day)
                assert state is not True or (row, day) in ticks.ticked, (seed, row, day)
    assert read >= 2


def test_without_the_scan_extra_the_command_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    import handouts.scan

    for name in ("reader", "find", "boxes"):  # forgotten, so the command imports them afresh
        monkeypatch.delitem(sys.modules, f"handouts.scan.{name}", raising=False)
        monkeypatch.delattr(handouts.scan, name, raising=False)
    monkeypatch.setitem(sys.modules, "cv2", None)  # as if opencv-python-headless were not installed
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(b"\xff\xd8 not really")
    result = CliRunner().invoke(main, ["scan", str(photo)])
    assert result.exit_code == 1
    assert result.stderr == "Error: reading photos needs the scan extra: pip install '.[scan]'\n"
