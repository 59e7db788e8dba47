"""Where the history lives for a command, and issuing one handout with it."""

from __future__ import annotations

import os
from pathlib import Path

from handouts.pipeline import Issued, Sources, issue
from handouts.request import HandoutRequest

HISTORY_ENV = "HANDOUTS_HISTORY"


def history_path(option: Path | None, off: bool) -> Path | None:
    """--no-history, else --history FILE, else $HANDOUTS_HISTORY, else the user's data directory."""
    if off:
        return None
    if option is not None:
        return option
    env = os.environ.get(HISTORY_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from handouts.history import default_path

    return default_path()


def make_handout(request: HandoutRequest, library_dir: Path | None, clinic_file: Path | None,
                 history_file: Path | None) -> Issued:
    sources = Sources.load(library_dir, clinic_file)
    if history_file is None:
        return issue(request, sources, None)
    from handouts.history import History

    with History(history_file) as history:
        return issue(request, sources, history)
