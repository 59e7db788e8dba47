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
