"""The clinic's favourite plans, saved from the builder and offered beside the shipped programs.

A favourite is a name and the exercises with their doses, kept as the same short dose text a
roster uses, in favourites.toml: in the clinic's library folder when the page has one (so it
travels with the clinic's own files), else beside the history file, else in the user's data folder. Written whole through
a temporary file, so a full disk never leaves half a file; a damaged file costs only the
favourites, never the page.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from handouts.errors import HandoutError

FILE = "favourites.toml"
MAX_NAME = 60
MAX_FAVOURITES = 200


@dataclass(frozen=True)
class Favourite:
    name: str
    tokens: tuple[str, ...]  # "bridge:3x10@6-7/3w", as a roster writes a dose
    saved: str


def place(library_dir: Path | None, history_file: object = None) -> Path:
    if library_dir is not None:
        return library_dir / FILE
    if isinstance(history_file, Path):
        return history_file.parent / FILE
    from platformdirs import user_data_dir

    return Path(user_data_dir("handouts", appauthor=False)) / FILE


def read(path: Path) -> list[Favourite]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return []
    out = []
    for item in data.get("favourite", []):
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("exercises"), list):
            out.append(Favourite(item["name"], tuple(str(t) for t in item["exercises"]), str(item.get("saved", ""))))
    return out


def save(path: Path, favourite: Favourite) -> None:
    """Add the favourite, or replace the one with its name."""
    from handouts.output import write_atomic

    name = " ".join(favourite.name.split())
    if not name:
        raise HandoutError("give the favourite a name, like “Knee replacement, week 2”", field="favourite")
    if len(name) > MAX_NAME:
        raise HandoutError(f"the name is {len(name)} characters; at most {MAX_NAME} fit in the list", field="favourite")
    kept = [f for f in read(path) if f.name.casefold() != name.casefold()]
    if len(kept) >= MAX_FAVOURITES:
        raise HandoutError(f"the clinic already has {MAX_FAVOURITES} favourites; remove some from {path.name} first", field="favourite")
    kept.append(Favourite(name, favourite.tokens, favourite.saved))
    lines = ["# The clinic's favourite plans, saved from the web page's builder. Edit or delete freely.", ""]
    for f in sorted(kept, key=lambda f: f.name.casefold()):
        # JSON strings are TOML basic strings: quotes and accents come back as they went in
        lines += ["[[favourite]]", f"name = {json.dumps(f.name, ensure_ascii=False)}", f"saved = {json.dumps(f.saved)}"]
        lines += [f"exercises = [{', '.join(json.dumps(t, ensure_ascii=False) for t in f.tokens)}]", ""]
    write_atomic(path, "\n".join(lines).encode("utf-8"), force=True)
