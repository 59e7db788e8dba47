"""Where things live: the data shipped with the package, the user's history and cache.

One module, so a test (or a clinic) that moves one of them moves it for every command.
"""

from __future__ import annotations

import os
from pathlib import Path

HISTORY_ENV = "HANDOUTS_HISTORY"
CACHE_ENV = "HANDOUTS_CACHE"  # the tests point it at their own directory
HISTORY_FILE = "history.sqlite3"


def package_dir(name: str) -> Path:
    """Data shipped with the package; in a source checkout it sits beside the package."""
    here = Path(__file__).resolve().parent
    inside = here / name
    return inside if inside.is_dir() else here.parent / name


DEFAULT_LIBRARY = package_dir("templates")
DEFAULT_CLINIC = DEFAULT_LIBRARY / "clinic.toml"
WORDING_DIR = DEFAULT_LIBRARY / "wording"
BASE_POSES = DEFAULT_LIBRARY / "poses.toml"  # the documented base poses every drawing starts from
FIGURES_FILE = "figures.toml"  # each exercise's poses, in a library directory
SYNONYMS = DEFAULT_LIBRARY / "synonyms.toml"  # what people type for what the library calls it (the page's search)


def figures_file(library_dir: Path) -> Path:
    """The library's own figures.toml, else the shipped one (a clinic copy made before drawings has none)."""
    own = library_dir / FIGURES_FILE
    return own if own.is_file() else DEFAULT_LIBRARY / FIGURES_FILE


FONTS_DIR = package_dir("fonts")


def cache_dir() -> Path:
    """$HANDOUTS_CACHE, else the user's cache directory (~/.cache/handouts on Linux)."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("handouts", appauthor=False))


def history_path(option: str | Path | None, off: bool) -> Path | str | None:
    """--no-history, else --history, else $HANDOUTS_HISTORY, else the user's data directory.

    A file path, or a postgresql:// URL (a clinic group's shared history), kept as text. A
    value that looks like some other URL is refused, never taken for a file name."""
    if off:
        return None
    value = str(option) if option is not None else os.environ.get(HISTORY_ENV, "").strip()
    if value:
        return history_place(value)
    from platformdirs import user_data_dir

    return Path(user_data_dir("handouts", appauthor=False)) / HISTORY_FILE


def history_place(value: str) -> Path | str:
    scheme, sep, _ = value.partition("://")
    if sep and scheme.lower() in ("postgresql", "postgres"):
        return value
    if sep or value.lower().startswith(("postgresql:", "postgres:")):
        from handouts.errors import UsageError

        kind = scheme.lower() if sep else "postgresql"
        raise UsageError(
            f'the history "{kind}://..." is not one handouts can use: give a file path, '
            "or postgresql://user@host:port/dbname for a clinic group's database",
            field="history",
        )
    return Path(value).expanduser()
