"""A therapist tailors the plan to one patient: doses, load advice, a note, a program plus extras."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli import main
from handouts.doses import DoseChange, parse_choice
from handouts.errors import UsageError

from .pdfread import page_texts, tick_boxes


def make(runner: CliRunner, *args: str) -> Path:
    result = runner.invoke(main, ["make", *args])
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip().splitlines()[0])


# -- the dose syntax ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "change"),
    [
        ("wall-calf-raise:3x12@8", DoseChange(sets=(3, 3), reps=(12, 12), rpe="8")),
        ("hinge-plate:2x45-60s@7+/daily", DoseChange(sets=(2, 2), seconds=(45, 60), rpe="7+", per_week=7)),
        ("wall-calf-raise:3x10-15/2w", DoseChange(sets=(3, 3), reps=(10, 15), per_week=2)),
        ("wall-calf-raise:1-2x8", DoseChange(sets=(1, 2), reps=(8, 8))),
        ("wall-calf-raise:@8-9", DoseChange(rpe="8\u20139")),
        ("wall-calf-raise:/3w", DoseChange(per_week=3)),
        ("wall-calf-raise:3X12", DoseChange(sets=(3, 3), reps=(12, 12))),
        ("wall-calf-raise", DoseChange()),
    ],
)
def test_the_dose_shorthand_reads_as_a_clinician_writes_it(token, change):
    choice = parse_choice(token)
    assert choice.exercise_id == token.split(":")[0]
    assert choice.change == change


@pytest.mark.parametrize(
    "token",
    [
        "wall-calf-raise:",
        "wall-calf-raise:3x",
        "wall-calf-raise:x12",
        "wall-calf-raise:3x12@",
        "wall-calf-raise:3x12@11",
        "wall-calf-raise:3x12@9-8",
        "wall-calf-raise:3x12/8w",
        "wall-calf-raise:3x12/0w",
        "wall-calf-raise:3x12/weekly",
        "wall-calf-raise:0x12",
        "wall-calf-raise:3x15-10",
        "wall-calf-raise:11x12",
        "wall-calf-raise:3x12 s",
        "wall-calf-raise:3x700s",
        ":3x12",
        "wall-calf-raise:3x12@8/2w/daily",
    ],
)
def test_a_malformed_dose_is_refused_naming_the_token(token):
    with pytest.raises(UsageError) as err:
        parse_choice(token)
    assert f'"{token}' in str(err.value)


def test_the_shorthand_round_trips():
    for token in ("wall-calf-raise:3x12@8/2w", "hinge-plate:2x45-60s@7+/daily", "wall-calf-raise:1-2x8"):
        assert parse_choice(token).token == token


# -- on the page ---------------------------------------------------------------


def test_two_doses_changed_a_load_and_a_note_are_printed(runner, tmp_path, fixed_date):
    path = make(
        runner,
        "Zoë O'Brien",
        "wall-calf-raise:4x6-8@9/3w",
        "hinge-plate:2x30s@6/daily",
        "hinge-tall-toes",
        "--load",
        "wall-calf-raise=Hold a 10 kg dumbbell in one hand",
        "--note",
        "Left ankle only for now. Keep the knee soft and go slowly on the way down.",
        "-o",
        str(tmp_path),
    )
    text = page_texts(path)[0]
    assert "4 sets of 6–8 reps · RPE 9 · 3× a week" in text
    assert "Hold a 10 kg dumbbell in one hand" in text
    assert "30 seconds, 2 times · RPE 6 · daily" in text
    assert "45–60 seconds, 1–2 times · RPE 7+ · daily" in text  # the untouched exercise keeps the library's dose
    assert text.count("3× a week") == 2  # the log's weekly goal follows the override
    assert "2× a week" not in text
    assert "RPE 6" in text and "Fairly hard" in text  # the legend explains the lower effort asked for
    assert "Left ankle only for now." in text
    assert "Notes" in text


def test_without_a_lower_effort_the_legend_keeps_its_four_levels(runner, tmp_path, fixed_date):
    text = page_texts(make(runner, "Ana Lima", "-o", str(tmp_path)))[0]
    assert "Fairly hard" not in text and "Moderate" not in text
    assert all(f"RPE {level}" in text for level in (7, 8, 9, 10))


def test_an_effort_the_clinic_did_not_word_is_explained_in_the_default_words(runner, tmp_path, fixed_date):
    text = page_texts(make(runner, "Ana Lima", "wall-calf-raise:@3", "-o", str(tmp_path)))[0]
    for level in range(3, 11):
        assert f"RPE {level}" in text
    assert "Easy. Breathing a little harder." in text  # RPE 3, from the wording table


@pytest.mark.parametrize("bad", ["wall-calf-raise:3x", "hinge-plate:2x45-60s@7+/9w", "hinge-plate:x"])
def test_a_malformed_dose_on_the_command_line_exits_2_and_writes_nothing(runner, tmp_path, bad):
    result = runner.invoke(main, ["make", "Ana Lima", bad, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert f'"{bad}' in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_a_load_for_an_exercise_not_on_the_plan_is_refused(runner, tmp_path):
    result = runner.invoke(main, ["make", "Ana Lima", "hinge-plate", "--load", "wall-calf-raise=5 kg", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert '"wall-calf-raise"' in result.output and "hinge-plate" in result.output


def test_a_long_note_wraps_in_the_body_size_and_keeps_ruled_lines(runner, tmp_path, fixed_date):
    note = ("Do these after your run, not before. " * 5).strip()
    path = make(runner, "Ana Lima", "wall-calf-raise", "--note", note, "-o", str(tmp_path))
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        words = [w for w in page.extract_words(extra_attrs=["size"]) if w["text"] == "after"]
        rules = [line for line in page.lines if abs(line["x1"] - line["x0"]) > 400 and line["linewidth"] == 0.5]
    assert len(words) == 5 and all(w["size"] >= 11 for w in words)
    assert len({round(w["top"]) for w in words}) >= 2  # wrapped onto more than one line
    below_note = [r for r in rules if r["top"] > max(w["top"] for w in words)]
    assert below_note, "room left under the note keeps ruled lines for handwriting"


def test_a_note_that_cannot_fit_says_how_many_characters_do(runner, tmp_path):
    ids = ["wall-calf-raise", "hinge-tall-toes", "band-row", "hip-flexor-stretch", "hinge-heel-raised", "bird-dog"]  # the wordiest six
    note = "Walk tall. " * 54
    result = runner.invoke(main, ["make", "Ana Lima", *ids, "--paper", "a4", "--note", note, "-o", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "the note is 593 characters and about" in result.output
    fits = int(result.output.split("and about ")[1].split(" ")[0])
    assert 0 < fits < 593
    assert not list(tmp_path.glob("*.pdf"))
    ok = runner.invoke(main, ["make", "Ana Lima", *ids, "--paper", "a4", "--note", note[:fits], "-o", str(tmp_path)])
    assert ok.exit_code == 0, ok.output


def test_a_full_page_makes_room_for_a_short_note_and_says_how_much_fits(runner, tmp_path):
    ids = ["wall-calf-raise", "hinge-tall-toes", "band-row", "hip-flexor-stretch", "hinge-heel-raised", "bird-dog"]
    result = runner.invoke(main, ["make", "Ana Lima", *ids, "--paper", "a4", "--note", "Walk tall. " * 54, "-o", str(tmp_path)])
    assert result.exit_code == 1
    fits = int(result.output.split("and about ")[1].split(" ")[0])
    assert fits >= 100, "two lines of a note at least"
    short = runner.invoke(
        main, ["make", "Ana Lima", *ids, "--paper", "a4", "--note", "Left side first. Call us if the calf swells.", "-o", str(tmp_path)]
    )
    assert short.exit_code == 0, short.output


def test_a_program_with_extra_ids_prints_the_program_then_the_extras(runner, tmp_path, fixed_date):
    path = make(runner, "Ana Lima", "--program", "ankle-hinges", "wall-calf-raise:3x8@8", "hinge-plate:1x30s", "-o", str(tmp_path))
    text = page_texts(path)[0]
    assert "Ankle hinges" in text
    order = [text.index(t) for t in ("1. Hinge, heel raised", "2. Hinge on a plate", "3. Hinge, high on toes", "4. Wall calf raise")]
    assert order == sorted(order)  # the log's rows, numbered as the cards
    assert "30 seconds, once" in text  # the dose typed for a program exercise applies in place
    assert "3 sets of 8 reps · RPE 8" in text
    assert tick_boxes(path) == 4 * 14
    assert path.name.startswith("ana-lima_ankle-hinges_")
