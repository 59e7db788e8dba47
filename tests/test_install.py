"""A new user runs the installed command from wherever they happen to be."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .pdfread import page_texts


def test_installed_command_works_from_any_directory(tmp_path):
    script = Path(sys.executable).with_name("handouts")
    command = [str(script)] if script.exists() else [shutil.which("handouts") or "handouts"]
    result = subprocess.run(
        [*command, "make", "Zoë O'Brien"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1795608000"},
    )
    assert result.returncode == 0, result.stderr
    written = tmp_path / result.stdout.strip()
    assert written == tmp_path / "out" / "zoe-obrien_ankle-loading_2026-11-25.pdf"
    assert "Zoë O'Brien" in page_texts(written)[0]
