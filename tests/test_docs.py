"""The README and --help stay true to the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from handouts.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(runner, name):
    result = runner.invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"handouts {name}" in README


def test_readme_shows_a_rendered_page():
    assert "](docs/handout.png)" in README
    assert (Path(__file__).parent.parent / "docs" / "handout.png").stat().st_size > 10_000


def test_the_example_clinic_and_roster_are_valid(runner, tmp_path):
    root = Path(__file__).parent.parent
    result = runner.invoke(main, ["check", "--clinic", str(root / "examples" / "clinic.toml")])
    assert result.exit_code == 0, result.output
    batch = runner.invoke(main, ["batch", str(root / "examples" / "roster.csv"), "-o", str(tmp_path)])
    assert batch.exit_code == 0, batch.output
    assert len(list(tmp_path.glob("*.pdf"))) == 4


def test_every_install_hint_in_a_message_is_the_one_the_readme_gives():
    import re

    package = Path(__file__).parent.parent / "handouts"
    hints = {h for f in package.rglob("*.py") for h in re.findall(r"pip install '[^']+'", f.read_text(encoding="utf-8"))}
    assert hints, "the messages name the extras to install"
    for hint in hints:
        assert hint in README, hint
