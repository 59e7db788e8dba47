"""Every exercise shows the patient what to do: a drawing on its card, made from a pose.

The story first (a patient's sheet, a clinic's own figure, the contact sheet), then the
checks under the drawing: the body keeps its proportions, stands on the floor, moves.
"""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import pdfplumber
import pytest

from handouts.compose import compose
from handouts.library import poses
from handouts.library.figures import read_bases
from handouts.library.load import load_clinic, load_library, read_library
from handouts.models import Figure
from handouts.render import layout
from handouts.render.pdf import render

from .pdfread import page_count, page_texts
from .pdfread import render as render_page

LIBRARY = load_library()
CLINIC = load_clinic()
BASES = read_bases([])
# the six exercises with the most words, in each language: the fullest page a clinic can make
SIX_LONGEST = {
    lang: [
        ex.id
        for ex in sorted(
            LIBRARY.exercises.values(),
            key=lambda e: -sum(len(c) for c in (LIBRARY.translations[lang][e.id].cues if lang != "en" else e.cues)),
        )[:6]
    ]
    for lang in ("en", "es")
}


def points(fig: Figure, which: str) -> dict[str, tuple[float, float]]:
    return {name: (x, y) for name, x, y in (fig.start if which == "start" else fig.end)}


def vector_paths(pdf: bytes) -> int:
    """How many lines and curves the page draws: a drawing is dozens of them."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages[0].curves) + len(doc.pages[0].lines)


# --- the patient's sheet ---------------------------------------------------------------------


def test_every_card_of_the_default_sheet_shows_its_drawing_beside_the_cues_and_never_over_text(fixed_date):
    handout = compose(LIBRARY, CLINIC, "Ana Lima")
    plan = layout.plan_page(handout)
    assert all(card.thumb > 0 and card.art_h > 0 for card in plan.cards), "every card has room for its drawing"
    pdf = render([handout])
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = doc.pages[0].chars
    # where each card's drawing sits, from the plan, in pdfplumber's top-down points
    y = layout.MARGIN + layout.QR_SIZE + layout.RULE_W + plan.type.gap + layout.patient_h(plan) + plan.type.gap + plan.slack
    for r, row_h in enumerate(plan.rows):
        for k, card in enumerate(plan.cards[r * plan.columns : (r + 1) * plan.columns]):
            x0 = layout.MARGIN + k * (card.width + layout.CARD_GAP) + layout.CARD_PAD
            top = y + card.pad + card.art_top
            box = (x0, top, x0 + card.thumb, top + card.art_h)
            over = [
                c["text"]
                for c in chars
                if c["x0"] < box[2] - 0.5 and c["x1"] > box[0] + 0.5 and c["top"] < box[3] - 0.5 and c["bottom"] > box[1] + 0.5
            ]
            assert set(over) <= set(str(card.number)), f"text printed over the drawing of card {card.number}: {over}"
        y += row_h + layout.CARD_GAP
    # and the drawings really are on the page: darker pixels inside the first card's drawing box
    image = render_page(pdf, dpi=100).convert("L")
    card = plan.cards[0]
    x0 = layout.MARGIN + layout.CARD_PAD
    top = layout.MARGIN + layout.QR_SIZE + layout.RULE_W + 2 * plan.type.gap + layout.patient_h(plan) + plan.slack + card.pad
    crop = image.crop(tuple(round(v * 100 / 72) for v in (x0 + layout.BADGE_D + 4, top, x0 + card.thumb, top + card.art_h)))
    assert crop.getextrema()[0] < 110, "the figure prints dark enough to see"


def test_the_drawing_is_dark_enough_in_grayscale_even_for_a_pale_brand_colour(fixed_date):
    import dataclasses

    pale = dataclasses.replace(CLINIC, brand_color="#9fd3e6")
    handout = dataclasses.replace(compose(LIBRARY, pale, "Ana Lima", exercise_ids=["bridge"]), grayscale=True)
    plan = layout.plan_page(handout)
    card = plan.cards[0]
    image = render_page(render([handout]), dpi=100).convert("L")
    x0 = layout.MARGIN + layout.CARD_PAD
    top = layout.MARGIN + layout.QR_SIZE + layout.RULE_W + 2 * plan.type.gap + layout.patient_h(plan) + plan.slack + card.pad
    crop = image.crop(tuple(round(v * 100 / 72) for v in (x0 + layout.BADGE_D + 4, top, x0 + card.thumb, top + card.art_h)))
    assert crop.getextrema()[0] <= 110, "the body is printed at most 43% grey whatever the brand colour"


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_the_six_longest_exercises_still_fit_one_page_with_their_drawings(fixed_date, lang, paper):
    handout = compose(LIBRARY, CLINIC, "Ana Lima", exercise_ids=SIX_LONGEST[lang], paper=paper, lang=lang)
    plan = layout.plan_page(handout)
    drawn = sum(1 for card in plan.cards if card.thumb)
    assert drawn >= 5, "at most one drawing gives way, and only on the fullest page"
    assert page_count(render([handout])) == 1


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_a_note_is_printed_and_the_drawings_give_way_together_not_one_by_one(fixed_date, paper):
    import dataclasses

    handout = dataclasses.replace(
        compose(LIBRARY, CLINIC, "Ana Lima", exercise_ids=SIX_LONGEST["en"], paper=paper),
        note="Left side first. Call us if the knee swells.",
    )
    plan = layout.plan_page(handout)
    drawn = sum(1 for card in plan.cards if card.thumb)
    assert drawn in (0, 5, 6), "all the drawings, all but the wordiest card's, or none: never a patchwork"
    assert "Left side first. Call us if the knee swells." in page_texts(render([handout]))[0].replace("\n", " ")


def test_large_print_draws_the_figures_larger(fixed_date):
    import dataclasses

    ids = ["ankle-pumps", "seated-march", "toe-raise"]
    plain = layout.plan_page(compose(LIBRARY, CLINIC, "Ana Lima", exercise_ids=ids))
    large = layout.plan_page(dataclasses.replace(compose(LIBRARY, CLINIC, "Ana Lima", exercise_ids=ids), large_print=True))
    assert all(b.thumb > a.thumb for a, b in zip(plain.cards, large.cards, strict=True))


def test_no_figures_leaves_them_out_and_the_paths_with_them(runner, tmp_path, fixed_date):
    from handouts.cli import main

    with_figures = tmp_path / "with.pdf"
    without = tmp_path / "without.pdf"
    assert runner.invoke(main, ["make", "Ana Lima", "bridge", "clamshell", "-o", str(with_figures), "--no-history"]).exit_code == 0
    result = runner.invoke(main, ["make", "Ana Lima", "bridge", "clamshell", "-o", str(without), "--no-history", "--no-figures"])
    assert result.exit_code == 0, result.output
    assert vector_paths(with_figures.read_bytes()) > vector_paths(without.read_bytes()) + 20
    assert page_texts(with_figures)[0].replace("\n", " ").count("Bridge") == page_texts(without)[0].replace("\n", " ").count("Bridge")


def test_a_clinic_photo_takes_the_drawing_s_place(runner, library, tmp_path, fixed_date):
    from PIL import Image

    from handouts.cli import main

    photo = tmp_path / "me.jpg"
    Image.new("RGB", (600, 600), (200, 120, 40)).save(photo)
    assert runner.invoke(main, ["picture", "add", "bridge", str(photo), "--library", str(library)]).exit_code == 0
    lib = load_library(library)
    handout = compose(lib, CLINIC, "Ana Lima", exercise_ids=["bridge", "clamshell"])
    plan = layout.plan_page(handout)
    assert plan.cards[0].art_h == 0 and plan.cards[0].thumb > 0, "the photo's square, not a drawing's column"
    assert plan.cards[1].art_h > 0, "the other exercise keeps its drawing"
    with pdfplumber.open(io.BytesIO(render([handout]))) as doc:
        assert len(doc.pages[0].images) == 1


def test_the_contact_sheet_shows_every_drawing_with_its_title(runner, tmp_path):
    from handouts.cli import main

    out = tmp_path / "drawings.pdf"
    result = runner.invoke(main, ["figures", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    pages = math.ceil(len(LIBRARY.exercises) / 20)
    assert page_count(out) == pages
    text = " ".join(page_texts(out)).replace("\n", " ")
    for ex in LIBRARY.exercises.values():
        assert ex.id in text
    image = render_page(out, dpi=50, page=0).convert("L")
    assert sum(image.histogram()[:128]) > 5000, "the drawings print, not just the titles"


def test_the_contact_sheet_of_two_and_an_unknown_id(runner, tmp_path):
    from handouts.cli import main

    out = tmp_path / "two.pdf"
    result = runner.invoke(main, ["figures", "bridge", "clamshel", "-o", str(out)])
    assert result.exit_code == 2
    assert 'unknown exercise "clamshel" (did you mean "clamshell"?)' in result.output
    assert not out.exists()
    assert runner.invoke(main, ["figures", "bridge", "clamshell", "-o", str(out)]).exit_code == 0
    assert "Bridge" in page_texts(out)[0] and "Clamshell" in page_texts(out)[0]


# --- a clinic draws its own exercise -----------------------------------------------------------


def test_a_clinic_adds_a_figure_for_its_own_exercise(runner, library):
    from handouts.cli import main

    (library / "exercises.toml").write_text(
        (library / "exercises.toml").read_text(encoding="utf-8")
        + '\n[heel-walk]\ntitle = "Heel walk"\ncues = ["Walk on your heels, toes up."]\nsets = 2\nreps = 10\nper_week = 3\n',
        encoding="utf-8",
    )
    (library / "exercises.es.toml").write_text(
        (library / "exercises.es.toml").read_text(encoding="utf-8")
        + '\n[heel-walk]\ntitle = "Caminar en talones"\ncues = ["Camine sobre los talones."]\n',
        encoding="utf-8",
    )
    (library / "figures.toml").write_text(
        (library / "figures.toml").read_text(encoding="utf-8")
        + '\n[heel-walk]\nbase = "standing"\nend = { ankle = -25, shoulder = 20 }\narrow = "near_toe"\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["check", "--library", str(library)])
    assert result.exit_code == 0, result.output
    assert load_library(library).exercises["heel-walk"].figure is not None


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        ('base = "standing"\nend = { nee = 30 }', 'unknown joint "nee" (did you mean "knee"?)'),
        ('base = "standing"\nend = { knee = 200 }', '"knee" = 200 is outside a human range in the side view (0 to 160 degrees)'),
        ('base = "sitting"\nstart = { ankle = 40 }\nend = { knee = 80 }', "go through the floor"),
        ('base = "standing"\nstart = { knee = 10 }', 'missing "end": the pose at the end of the movement'),
        ('base = "stnding"\nend = { knee = 10 }', '"base" must be one of standing, standing-front, sitting'),
        ('base = "standing"\nend = { knee = 0 }', "the end pose is the same as the start"),
        ('base = "standing"\nend = { knee = 20 }\nprops = [{ kind = "sofa" }]', "prop kind 'sofa' is not one I can draw"),
        ('base = "standing"\nend = { knee = 20 }\narrow = "near_nose"', "\"at\" = 'near_nose' is not a point of the body"),
    ],
)
def test_check_names_a_bad_pose_with_its_file_and_line(runner, library, figure, message):
    from handouts.cli import main

    # the shipped toe-raise figure replaced by a bad one, at the end of the file
    text = (library / "figures.toml").read_text(encoding="utf-8")
    start = text.index("[toe-raise]")
    end = text.index("\n[", start + 1)
    body = text[:start] + text[end + 1 :] + "\n[toe-raise]\n" + figure + "\n"
    (library / "figures.toml").write_text(body, encoding="utf-8")
    line = body.count("\n", 0, body.index("[toe-raise]")) + 1
    result = runner.invoke(main, ["check", "--library", str(library)])
    assert result.exit_code == 1
    found = [ln for ln in result.output.splitlines() if message in ln]
    assert found, result.output
    where = found[0].split(": ", 1)[0]
    assert where.startswith(str(library / "figures.toml") + ":")
    assert line <= int(where.rsplit(":", 1)[1]) <= line + figure.count("\n") + 1


def test_an_older_clinic_library_without_figures_gets_the_shipped_drawings(library):
    (library / "figures.toml").unlink()
    found, problems = read_library(library)
    assert not problems
    assert found is not None and found.exercises["bridge"].figure == LIBRARY.exercises["bridge"].figure


def test_init_copies_the_figures_for_the_clinic_to_edit(runner, tmp_path):
    from handouts.cli import main

    result = runner.invoke(main, ["init", str(tmp_path / "mine")])
    assert result.exit_code == 0
    assert (tmp_path / "mine" / "figures.toml").read_text(encoding="utf-8") == (Path(LIBRARY.source) / "figures.toml").read_text(
        encoding="utf-8"
    )


# --- under the drawing: the shipped library --------------------------------------------------


def test_every_shipped_exercise_has_a_drawing():
    missing = [ex.id for ex in LIBRARY.exercises.values() if ex.figure is None]
    assert missing == []


@pytest.mark.parametrize("ex_id", sorted(LIBRARY.exercises))
def test_each_drawing_keeps_the_body_whole_on_the_floor_and_moving(ex_id):
    fig = LIBRARY.exercises[ex_id].figure
    assert fig is not None
    start, end = points(fig, "start"), points(fig, "end")
    # limbs keep their lengths between the start and the end (a thigh seen end-on excepted)
    base = BASES[fig.base]
    segments = [("shoulder", "elbow", poses.UPPER_ARM), ("elbow", "wrist", poses.FOREARM), ("knee", "ankle", poses.SHIN)]
    if base.view == "side":
        segments.append(("hip", "knee", poses.THIGH))
    for side in poses.SIDES:
        for a, b, length in segments:
            for pose in (start, end):
                assert math.dist(pose[f"{side}_{a}"], pose[f"{side}_{b}"]) == pytest.approx(length, abs=1e-3)
    # start and end differ: something visibly moves
    assert max(math.dist(start[k], end[k]) for k in start) > 0.12, "about an eighth of a head at least"
    # nothing goes through the floor
    for pose in (start, end):
        assert min(y for _x, y in pose.values()) > -poses.FLOOR_TOLERANCE
    # a standing figure's feet rest on the floor line (or on the step or plate drawn under them)
    if base.name.startswith("standing"):
        feet = [f"{s}_{p}" for s in poses.SIDES for p in ("heel", "toe")]
        lowest = min(start[f][1] for f in feet) - poses.FOOT_W / 2
        assert lowest == pytest.approx(0.0, abs=0.25), "feet on the floor"
    # it stays inside its box (a close-up crops, so its box lies inside the drawing instead)
    x0, y0, x1, y1 = fig.box
    assert x1 - x0 > 1 and y1 - y0 > 1


def test_every_shape_stays_inside_the_box_of_a_whole_figure():
    for ex in LIBRARY.exercises.values():
        fig = ex.figure
        assert fig is not None
        x0, y0, x1, y1 = fig.box
        if fig.close_up:  # cropped on purpose
            continue
        for shape in fig.marks():
            r = shape.width / 2 if shape.kind == "line" else shape.width
            for x, y in shape.points:
                assert x0 <= x - r + 1e-6 and x + r <= x1 + 1e-6 and y0 <= y - r + 1e-6 and y + r <= y1 + 1e-6, ex.id


def test_no_two_exercises_share_a_drawing_unless_one_is_the_other_mirrored():
    def signature(fig: Figure, flip: float = 1.0) -> tuple:
        return tuple((s.kind, s.tone, tuple((round(flip * x, 2), round(y, 2)) for x, y in s.points)) for s in fig.marks())

    seen: dict[tuple, str] = {}
    for ex in LIBRARY.exercises.values():
        assert ex.figure is not None
        mine = signature(ex.figure)
        assert mine not in seen, f"{ex.id} is drawn exactly as {seen.get(mine)}"
        seen[mine] = ex.id
        seen.setdefault(signature(ex.figure, -1.0), ex.id)


# --- under the drawing: the body ---------------------------------------------------------------


def test_standing_tall_puts_the_head_over_the_hips_over_the_heels():
    body = poses.place(BASES["standing"].pose, "side")
    hip, neck, ankle = body.points["hip"], body.points["neck"], body.points["near_ankle"]
    assert hip[0] == pytest.approx(neck[0]) == pytest.approx(ankle[0])
    assert neck[1] - hip[1] == pytest.approx(poses.TRUNK)
    assert hip[1] - ankle[1] == pytest.approx(poses.THIGH + poses.SHIN)
    assert body.points["near_toe"][0] > ankle[0] > body.points["near_heel"][0], "the figure faces right"


def test_flexion_bends_each_joint_the_way_a_body_bends():
    body = poses.place({"hip": 90, "knee": 90, "shoulder": 90, "elbow": 90, "ankle": 0}, "side")
    p = body.points
    assert p["near_knee"][0] > p["hip"][0] and p["near_knee"][1] == pytest.approx(p["hip"][1]), "thigh forward, level"
    assert p["near_ankle"][1] < p["near_knee"][1] and p["near_ankle"][0] == pytest.approx(p["near_knee"][0]), "shin straight down"
    assert p["near_elbow"][0] > p["near_shoulder"][0], "arm forward"
    assert p["near_wrist"][1] > p["near_elbow"][1], "forearm up"


def test_seen_from_the_front_the_two_sides_mirror_each_other():
    body = poses.place({"hip": 25, "shoulder": 90}, "front")
    p = body.points
    assert p["near_ankle"][0] == pytest.approx(-p["far_ankle"][0])
    assert p["near_wrist"][0] < p["near_shoulder"][0] < 0 < p["far_shoulder"][0] < p["far_wrist"][0]


def test_angles_outside_a_human_range_and_unknown_joints_are_named():
    found = dict(poses.problems_with_angles({"knee": -20, "shoulder": 120, "elbw": 30}, "side"))
    assert "outside a human range" in found["knee"]
    assert "shoulder" not in found
    assert 'did you mean "elbow"' in found["elbw"]


def test_a_planted_foot_stays_where_it_was_when_the_hips_rise():
    fig = LIBRARY.exercises["bridge"].figure
    assert fig is not None
    start, end = points(fig, "start"), points(fig, "end")
    assert math.dist(start["near_heel"], end["near_heel"]) < 0.05
    assert end["hip"][1] > start["hip"][1] + 0.8, "the hips lift"
    assert math.dist(start["neck"], end["neck"]) < 1e-6, "the shoulders stay down"


def test_the_shipped_base_poses_are_documented_and_valid():
    problems: list[str] = []
    bases = read_bases(problems)
    assert problems == []
    assert {"standing", "standing-front", "sitting", "sitting-front", "lying-back", "lying-side", "lying-belly", "hands-knees"} <= set(
        bases
    )


def test_the_figures_file_is_shipped_with_the_package():
    assert (Path(LIBRARY.source) / "figures.toml").is_file() and (Path(LIBRARY.source) / "poses.toml").is_file()
    assert shutil.which("handouts")
