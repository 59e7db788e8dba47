"""Whatever the name and whichever exercises: one page, everything inside its box, a QR that scans."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.library.pictures import add_picture
from handouts.models import Library, tidy
from handouts.paths import DEFAULT_LIBRARY
from handouts.render.pdf import render
from handouts.sheet import parse

from .pdfread import booking_codes, decode_qr, page_count, text_in
from .pdfread import render as render_png
from .photos import encoded, scene
from .test_names_and_files import assert_text_inside_boxes

# one worker runs this whole file, so its expensive shared fixtures are made once
pytestmark = pytest.mark.xdist_group("test_properties")

EXTRA = """
[single-leg-balance-eyes]
title = "Single-leg balance, eyes closed"
cues = ["Stand on one leg near a counter.", "Keep the knee soft.", "Touch down only if you wobble."]
sets = 3
seconds = [30, 45]
load = "Eyes closed once it is easy"
rpe = "6-7"
per_week = 7

[step-down]
title = "Slow step-down"
cues = ["Stand on a low step.", "Lower the other heel for a count of three.", "Knee stays over the toes."]
sets = [2, 3]
reps = [8, 12]
rpe = 7
per_week = 3

[toe-yoga]
title = "Toe yoga"
short = "Toe yoga"
cues = ["Lift the big toe, keep the others down.", "Then swap."]
sets = 2
reps = 10
load = "No weight needed"
rpe = "5"
per_week = 7

[bent-knee-calf-raise]
title = "Bent-knee calf raise on a step, slow lowering"
cues = ["Knees bent a little, heels off the step.", "Rise up in one second, lower in three."]
sets = 3
reps = [12, 15]
load = "Hold a dumbbell when 15 is easy"
rpe = "8"
per_week = 2
"""

NAME_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿłŁßœŒğĞşŞıİčČšŠžŽřŘ"
    "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΩάέήίόύώ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЖЯ"
    "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĐ"
    " '-.,&<>/\\\"()"
)


@pytest.fixture(scope="module")
def big_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    target = tmp_path_factory.mktemp("lib") / "library"
    shutil.copytree(DEFAULT_LIBRARY, target)
    (target / "exercises.toml").write_text((target / "exercises.toml").read_text() + EXTRA)
    # two of the eight carry a photo, so pages mix pictured and plain cards
    for exercise_id in ("wall-calf-raise", "step-down"):
        photo = target / f"{exercise_id}.png"
        photo.write_bytes(encoded(scene(600, 800), "PNG"))
        add_picture(exercise_id, photo, target)
    return load_library(Path(target))


names = st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=120).filter(lambda n: tidy(n) != "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, data=st.data(), paper=st.sampled_from(["letter", "a4"]))
def test_any_name_any_six_exercises_one_clean_page(big_library, name, data, paper):
    ids = data.draw(st.lists(st.sampled_from(sorted(big_library.exercises)), min_size=1, max_size=6, unique=True))
    handout = compose(big_library, load_clinic(), name, ids, paper=paper)
    boxes: list = []
    pdf = render([handout], boxes=boxes)
    assert page_count(pdf) == 1
    cards = [b for b in boxes[0] if b.name.startswith("card ")]
    assert len(cards) == len(ids)
    for card, ex_id in zip(sorted(cards, key=lambda b: int(b.name.split()[1])), ids, strict=False):
        text = text_in(pdf, (card.x0, card.y0, card.x1, card.y1))
        assert "".join(big_library.exercises[ex_id].title.split()) in "".join(text.split())
    assert_text_inside_boxes(pdf, boxes[0], paper)
    image = render_png(pdf, dpi=100)
    assert booking_codes(image) == ["tel:+15625021767"]
    texts = [t for t in decode_qr(image) if parse(t) is not None]
    assert len(texts) == 1 and len(texts[0]) == 34  # the short code (format 2) describes every page drawn
    log = parse(texts[0])
    assert log is not None and log.rows == len(ids)
