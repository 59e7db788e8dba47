"""The marks a returned sheet is read by, and the counting after: fast checks under test_scan.

The small code is made by our own encoder (a QR library costs a quarter of a cold start),
so it is held to the qrcode library's modules mask by mask and to a real reader; the
code must describe the boxes the PDF really draws; the markers must be the dictionary's
own and sit clear of every printed character.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import sqlite3

import cv2
import numpy as np
import pdfplumber
import pytest
import qrcode
import qrcode.constants
import qrcode.util
import zxingcpp

from handouts import sheet
from handouts.compose import compose
from handouts.history import History
from handouts.library.load import load_clinic, load_library
from handouts.models import Issue
from handouts.render import small_qr as qrsmall
from handouts.render.pdf import render
from handouts.sheet import MARGIN, MARK, MARK_GAP, PAPER, LogCode, parse, to_text
from handouts.tally import Row, Tally, tally

from .pdfread import decode_qr, tick_box_rects
from .pdfread import render as render_png
from .test_page import SIX, pictured


@pytest.mark.parametrize("text", ["HO1", "HO1234567890123", "1234", "HO" + "7" * 56, "A B:C", "HO10515788552611250655"])
def test_our_qr_encoder_makes_the_qrcode_librarys_modules_for_every_mask(text):
    for mask in range(8):
        ours = qrsmall.encode(text, mask)
        ref = qrcode.QRCode(version=(len(ours) - 17) // 4, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=mask)
        letters = text.rstrip("0123456789")
        if letters:
            ref.add_data(qrcode.util.QRData(letters, mode=qrcode.util.MODE_ALPHA_NUM))
        if text[len(letters) :]:
            ref.add_data(qrcode.util.QRData(text[len(letters) :], mode=qrcode.util.MODE_NUMBER))
        ref.make(fit=False)
        assert ref.get_matrix() == ours, mask
    modules = np.array(qrsmall.encode(text), np.uint8)
    image = np.pad((1 - modules) * 255, 4, constant_values=255).repeat(5, 0).repeat(5, 1).astype(np.uint8)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [text]


def test_the_encoder_refuses_what_it_cannot_hold():
    with pytest.raises(ValueError, match="not alphanumeric"):
        qrsmall.encode("ho1")
    with pytest.raises(ValueError, match="do not fit"):
        qrsmall.encode("X" * 62)


def test_the_corner_markers_are_the_dictionarys_markers_0_to_3():
    aruco = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    for i, rows in enumerate(sheet.MARKER_BITS):
        image = cv2.aruco.generateImageMarker(aruco, i, 6)
        assert ["".join("1" if v == 0 else "0" for v in row[1:5]) for row in image[1:5]] == list(rows)


def _square(x: float, y: float, side: float = 30.0, turn: float = 0.0) -> list[tuple[float, float]]:
    """A marker's four corners as a detector reports them, top left first, turned about its centre."""
    c, s = np.cos(turn), np.sin(turn)
    half = side / 2
    return [
        (x + half + c * dx - s * dy, y + half + s * dx + c * dy) for dx, dy in ((-half, -half), (half, -half), (half, half), (-half, half))
    ]


def test_a_marker_found_only_on_a_second_look_is_kept_only_where_the_frame_puts_it():
    from handouts.scan import find

    across = find.frame_widths()[0] / MARK * 30  # the frame's width, in pixels of a 30-pixel marker
    found = {1: _square(100 + across, 100), 3: _square(100, 500)}
    assert find._in_place(0, _square(100, 100), found)
    assert find._in_place(2, _square(100 + across, 500), found)
    assert not find._in_place(0, _square(100, 100, turn=0.6), found)  # turned another way
    assert not find._in_place(0, _square(100, 100, side=60), found)  # twice the size: something else printed
    assert not find._in_place(0, _square(100 + across / 2, 100), found)  # half-way along the top
    assert not find._in_place(0, _square(100, 800), found)  # below the bottom marker
    assert not find._in_place(2, _square(100 + across, 50), found)  # above the top-right one


LETTER_WIDTH = sheet.marker_columns(PAPER["letter"][0])[1] - sheet.marker_columns(PAPER["letter"][0])[0]
# six rows of 33.5 pt under a plain 32 pt header, on letter
CODE = LogCode(
    "052193775", dt.date(2026, 12, 28), "letter", 512.0, LETTER_WIDTH, 215.0, 16.0, (199.5, 46.75), 25.6, 33.5, 13.0, (7, 7, 3, 7, 2, 7)
)


def test_the_code_is_one_number_that_reads_back_to_the_same_fields():
    text = to_text(CODE)
    assert len(text) == 34 and text.isdigit() and text[0] == "2"
    assert parse(text) == CODE
    assert len(qrsmall.encode(text)) == 21  # a version 1 code: the modules a fifth larger than format 1's


@pytest.mark.parametrize(
    "fields",
    [
        {"per_week": (1,)},
        {"per_week": (7,) * 6, "first": (249.9, 46.75), "pitch": 39.9},
        {"start": dt.date(2025, 1, 1), "sheet": "000000001", "paper": "a4", "width": 0.0},
        {"start": dt.date(2069, 11, 9), "sheet": "999999999", "frame_top": 849.0, "box": 18.0},
        {"first": (120.0, 50 - 2 + 49.9 / 2), "row_pitch": 49.9, "height": 50 + 2 * 49.9 - 18, "per_week": (3, 5)},
    ],
)
def test_every_field_at_its_limits_reads_back(fields):
    code = CODE._replace(**fields)
    if code.paper == "a4":
        left, right = sheet.marker_columns(PAPER["a4"][0])
        code = code._replace(width=right - left)
    if "per_week" in fields and "height" not in fields:
        code = code._replace(height=32 + len(code.per_week) * code.row_pitch - 18)
    back = parse(to_text(code))
    assert back is not None and back.sheet == code.sheet and back.start == code.start and back.per_week == code.per_week
    for name in ("frame_top", "width", "height", "pitch", "row_pitch", "box"):
        assert abs(getattr(back, name) - getattr(code, name)) < 0.01, name
    assert abs(back.first[0] - code.first[0]) < 0.01 and abs(back.first[1] - code.first[1]) < 0.01


def test_a_log_the_number_cannot_describe_gets_the_longer_code_and_still_reads():
    odd = CODE._replace(box=13.5)  # not a whole point: format 2 has no room for it
    text = to_text(odd)
    back = parse(text)
    assert text.startswith("HO1") and back is not None and back.box == 13.5 and back.per_week == odd.per_week


def test_a_sheet_given_out_before_still_reads():
    old = "HO1052193775261228151257820116199505602563351306773727"  # format 1, as printed until now
    code = parse(old)
    assert code is not None and code.sheet == "052193775" and code.start == dt.date(2026, 12, 28) and code.paper == "a4"
    assert code.per_week == (7, 7, 3, 7, 2, 7) and code.first == (199.5, 56.0) and code.pitch == 25.6


@pytest.mark.parametrize(
    "text",
    [
        "tel:+15625021767",
        "https://zenith.example/book",
        "HO2052193775261228",
        "HO1052193775",
        "HO1052193775261328" + "0" * 40,
        "HO1" + "x" * 50,
        "HO",
        "1" + "0" * 33,  # a number of the right length that is not format 2
        "2" + "0" * 32,  # too short
        "2" + "9" * 33,  # past the last field's range
        "2" + "0" * 33,  # boxes of no size
    ],
)
def test_other_codes_are_not_taken_for_a_log(text):
    assert parse(text) is None


def _sheets():
    lib, clinic = load_library(), load_clinic()
    yield "four, letter", render([compose(lib, clinic, "Zoe Park", start=dt.date(2026, 11, 30))])
    yield "six pictured, A4", render([compose(pictured_library(), clinic, "Ana Ruiz", SIX, paper="a4")])
    yield "one, large print", render([dataclasses.replace(compose(lib, clinic, "Bo Li", SIX[:1]), large_print=True)])
    yield "six, Spanish letter", render([compose(lib, clinic, "Ana Ruiz", SIX, lang="es")])


def pictured_library():
    import tempfile
    from pathlib import Path

    return pictured(Path(tempfile.mkdtemp()))


@pytest.mark.parametrize(("name", "pdf"), list(_sheets()), ids=lambda v: v if isinstance(v, str) else "")
def test_the_code_describes_the_boxes_the_page_really_draws(name, pdf):
    texts = [t for t in decode_qr(render_png(pdf, dpi=150)) if parse(t) is not None]
    assert len(texts) == 1 and len(texts[0]) == 34 and texts[0][0] == "2"  # format 2: the shorter code, every kind of page
    code = parse(texts[0])
    assert code is not None
    boxes = sorted(tick_box_rects(pdf), key=lambda b: (round(b["top"]), b["x0"]))
    assert len(boxes) == 14 * code.rows
    left = MARGIN - MARK_GAP - MARK
    for i, b in enumerate(boxes):  # within the code's rounding (tenths of a point, 13 steps across)
        cx, cy = code.box_centre(i // 14, i % 14)
        assert abs(left + cx - (b["x0"] + b["x1"]) / 2) < 0.75, (name, i)
        assert abs(code.frame_top + cy - (b["top"] + b["bottom"]) / 2) < 0.75, (name, i)
        assert abs(code.box - b["width"]) < 0.06


@pytest.mark.parametrize(("name", "pdf"), list(_sheets()), ids=lambda v: v if isinstance(v, str) else "")
def test_markers_and_code_sit_clear_of_every_printed_character(name, pdf):
    code = next(c for c in (parse(t) for t in decode_qr(render_png(pdf, dpi=150))) if c is not None)
    page_w, page_h = PAPER[code.paper]
    left = MARGIN - MARK_GAP - MARK
    squares = [
        (left + x, code.frame_top + y, left + x + MARK, code.frame_top + y + MARK)
        for x, y in ((0, 0), (code.width, 0), (code.width, code.height), (0, code.height))
    ]
    assert min(s[0] for s in squares) >= 12 and max(s[2] for s in squares) <= page_w - 12  # a printer reaches it
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = doc.pages[0].chars
    for x0, top, x1, bottom in squares:
        for c in chars:  # at least 2.5 pt of paper between a marker and any letter
            apart = max(c["x0"] - x1, x0 - c["x1"], c["top"] - bottom, top - c["bottom"])
            assert apart >= 2.5, (name, c["text"])
    del page_h


def test_sessions_done_count_up_to_each_weekly_goal_and_unsure_boxes_do_not_count():
    boxes: list[list[bool | None]] = [
        [True] * 14,
        [True] * 5 + [False] * 2 + [None] + [False] * 6,
        [True, True, True, False, False, False, False] + [False] * 7,
    ]
    code = CODE._replace(per_week=(7, 2, 3))
    t = tally(code, boxes, [])
    assert [r.exercise for r in t.rows] == ["Exercise 1", "Exercise 2", "Exercise 3"]
    assert t.planned == 14 + 4 + 6
    assert t.done == 14 + 2 + 3  # five ticks of a twice-a-week exercise count as two
    assert t.unsure == 1 and t.rows[1].unsure == [7]
    assert [r.met(0) for r in t.rows] == [True, True, True] and [r.met(1) for r in t.rows] == [True, False, False]
    assert Tally([Row("x", 2, [], [])]).done == 0


def test_an_older_history_is_upgraded_with_every_record_kept(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:  # the first release's format, one handout in it
        db.executescript("""
            CREATE TABLE handouts (id INTEGER PRIMARY KEY, issued_at TEXT NOT NULL, patient TEXT NOT NULL,
                patient_key TEXT NOT NULL, patient_id TEXT NOT NULL DEFAULT '', program_id TEXT NOT NULL,
                program_title TEXT NOT NULL, start TEXT NOT NULL, paper TEXT NOT NULL,
                lang TEXT NOT NULL DEFAULT 'en', note TEXT NOT NULL DEFAULT '', path TEXT NOT NULL,
                sha256 TEXT NOT NULL);
            CREATE TABLE doses (handout_id INTEGER NOT NULL, position INTEGER NOT NULL, exercise_id TEXT NOT NULL,
                title TEXT NOT NULL, sets_low INTEGER NOT NULL, sets_high INTEGER NOT NULL, reps_low INTEGER,
                reps_high INTEGER, seconds_low INTEGER, seconds_high INTEGER, rpe TEXT NOT NULL,
                per_week INTEGER NOT NULL, load TEXT NOT NULL, PRIMARY KEY (handout_id, position));
            CREATE TABLE emails (id INTEGER PRIMARY KEY, handout_id INTEGER NOT NULL, at TEXT NOT NULL,
                recipient TEXT NOT NULL, result TEXT NOT NULL);
            CREATE TABLE scans (id INTEGER PRIMARY KEY, handout_id INTEGER NOT NULL, at TEXT NOT NULL,
                photo_sha256 TEXT NOT NULL, done INTEGER NOT NULL, planned INTEGER NOT NULL, ticks TEXT NOT NULL,
                UNIQUE (handout_id, photo_sha256));
            INSERT INTO handouts VALUES (1, '2026-11-01T10:00:00+00:00', 'Ana Lima', 'ana lima', '', 'p', 'Plan',
                '2026-11-01', 'letter', 'en', '', '/x/ana.pdf', 'abc');
            PRAGMA user_version = 1;
        """)
    h = compose(load_library(), load_clinic(), "Zoe Park", start=dt.date(2026, 11, 30))
    with History(path) as hist:
        assert [r.patient for r in hist.patient("ana lima")] == ["Ana Lima"]
        [new] = hist.record([Issue(h, tmp_path / "zoe.pdf", "def")])
        number = h.sheet_number
        record, fresh = hist.record_scan(number, "photo-1", 20, 46, [[0, 1]] * 4, [[]] * 4)
        assert record is not None and record.id == new and fresh
        assert hist.record_scan(number, "photo-1", 20, 46, [[0, 1]] * 4, [[]] * 4)[1] is False
        assert hist.record_scan("000000000", "photo-2", 1, 2, [[0]], [[]]) == (None, False)
        assert [s.done for s in hist.get(new).adherence] == [20]  # type: ignore[union-attr]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert db.execute("SELECT sheet FROM handouts ORDER BY id").fetchall() == [("",), (number,)]


def test_the_same_sheet_printed_twice_has_one_number_and_another_sheet_another():
    lib, clinic = load_library(), load_clinic()
    a = compose(lib, clinic, "Zoe Park", start=dt.date(2026, 11, 30))
    assert a.sheet_number == (compose(lib, clinic, "Zoe Park", start=dt.date(2026, 11, 30))).sheet_number
    assert a.sheet_number != (dataclasses.replace(a, patient="Zoe Parks")).sheet_number
    assert a.sheet_number != (dataclasses.replace(a, start=dt.date(2026, 12, 1))).sheet_number


def test_a_box_under_a_thick_tick_is_placed_by_its_own_four_sides():
    """Where the boxes around one put it is close; where its own printed sides are is where it is read."""
    from handouts.scan import boxes

    s = boxes.SCALE
    dark = np.zeros((240, 240), np.float32)
    side = 13 * s
    true = (120 + 0.8 * s, 120 - 0.6 * s)  # the box, 0.8 pt right of and 0.6 pt above where it is looked for
    x0, y0 = round(true[0] - side / 2), round(true[1] - side / 2)
    cv2.rectangle(dark, (x0, y0), (x0 + round(side), y0 + round(side)), 0.3, 3)  # its thin printed outline, greyed
    cv2.line(dark, (x0 - 8, y0 + round(side * 0.7)), (x0 + round(side) + 8, y0 + round(side * 0.2)), 0.9, 6)  # a thick tick across
    cx, cy = boxes.centre_of_sides(dark, 120, 120, side / 2, 2 * boxes.SIDE_REACH)
    assert abs(cx - (x0 + side / 2)) <= 1 and abs(cy - (y0 + side / 2)) <= 1  # to a quarter of a point
    assert min(boxes.edge_sides(dark, 120, 120, side / 2, boxes.SIDE_REACH)) >= 0.25  # all four seen
    assert min(boxes.edge_sides(dark, 120 + 3 * s, 120, side / 2, boxes.SIDE_REACH)) < 0.1  # 3 pt off: not there
