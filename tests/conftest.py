"""Shared fixtures: a CLI runner, a copy of the shipped data, and ways to read a PDF back."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.paths import DEFAULT_LIBRARY


def pytest_configure(config: pytest.Config) -> None:
    """The whole run (and every command it starts) caches into its own directory, never the user's."""
    os.environ["HANDOUTS_CACHE"] = tempfile.mkdtemp(prefix="handouts-test-cache-")


@pytest.fixture(autouse=True)
def history_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test records into its own history, never the developer's own."""
    path = tmp_path / "history" / "history.sqlite3"
    monkeypatch.setenv("HANDOUTS_HISTORY", str(path))
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """An editable copy of the shipped library and clinic, as a clinic would make one."""
    target = tmp_path / "library"
    shutil.copytree(DEFAULT_LIBRARY, target)
    return target


@pytest.fixture
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin 'today' (and the PDF dates) to 2026-11-25 12:00 UTC."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795608000")
