"""`handouts picture add/remove`: a phone photo into the library, and out again.

The photo is turned upright, cropped square, scaled to 300 dpi at the printed
size and saved with nothing but its pixels (no EXIF, no GPS, no camera serial) as
pictures/EXERCISE_ID.jpg beside exercises.toml. The exercise's entry gains one
line, `picture = "pictures/EXERCISE_ID.jpg"`; every other line, comment and blank
line of the file stays exactly as the clinic wrote it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from handouts.errors import DataError, UsageError, suggest
from handouts.library.load import is_installed_copy, load_library
from handouts.library.photos import clean_pixels, crop_to, jpeg_bytes, open_image, pixels_for
from handouts.library.tomlsource import read_toml
from handouts.models import Library
from handouts.output import write_atomic
from handouts.paths import DEFAULT_LIBRARY
from handouts.sheet import THUMB

CROPS = ("center", "left", "right", "top", "bottom")  # left/right for a wide photo, top/bottom for a tall one
PICTURE_DIR = "pictures"


def add_picture(exercise_id: str, photo: Path, library_dir: Path | None = None, crop: str = "center") -> Path:
    """Import `photo` for `exercise_id`; returns the picture file written."""
    directory = library_dir or DEFAULT_LIBRARY
    _known(directory, exercise_id)
    if crop not in CROPS:
        raise UsageError(f'--crop "{crop}" is not one of {", ".join(CROPS)}')
    image = open_image(photo)  # upright, fully decoded: any damage shows up here, before any write
    side = pixels_for(THUMB)
    square = clean_pixels(crop_to(image, 1.0, crop), side, side)
    relative = f"{PICTURE_DIR}/{exercise_id}.jpg"
    toml_path = directory / "exercises.toml"
    new_text = _with_picture_line(toml_path, exercise_id, relative)
    target = directory / relative
    existed = target.exists()
    old_bytes = target.read_bytes() if existed else None
    write_atomic(target, jpeg_bytes(square), force=True)
    try:
        write_atomic(toml_path, new_text.encode("utf-8"), force=True)
    except BaseException:
        if old_bytes is None:
            target.unlink(missing_ok=True)
        else:
            write_atomic(target, old_bytes, force=True)
        raise
    return target


def remove_picture(exercise_id: str, library_dir: Path | None = None) -> Path | None:
    """Drop the picture line; delete the file too when we imported it and nothing else uses it."""
    directory = library_dir or DEFAULT_LIBRARY
    library = _known(directory, exercise_id)
    picture = library.exercises[exercise_id].picture
    toml_path = directory / "exercises.toml"
    src = read_toml(toml_path)
    line = src.lines.get((exercise_id, "picture"))
    if picture is None or line is None:
        raise DataError(f'{toml_path}: exercise "{exercise_id}" has no picture to remove')
    lines = toml_path.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[line - 1]
    write_atomic(toml_path, "".join(lines).encode("utf-8"), force=True)
    used_elsewhere = any(ex.picture == picture for ex in library.exercises.values() if ex.id != exercise_id)
    managed = picture.parent == (directory / PICTURE_DIR).resolve()
    if managed and not used_elsewhere:
        picture.unlink(missing_ok=True)
        return picture
    return None


def _known(directory: Path, exercise_id: str) -> Library:
    if is_installed_copy(directory):
        raise UsageError(
            f"the shipped library in {directory} is part of the installed program; "
            "make your own copy with `handouts init DIR` and pass --library DIR"
        )
    library = load_library(directory)
    if exercise_id not in library.exercises:
        raise UsageError(
            f'unknown exercise "{exercise_id}"{suggest(exercise_id, library.exercises)}; run `handouts exercises` to list them'
        )
    return library


def _with_picture_line(toml_path: Path, exercise_id: str, relative: str) -> str:
    """The file's text with the exercise's picture line set, checked by parsing it again."""
    src = read_toml(toml_path)
    lines = toml_path.read_text(encoding="utf-8").splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    entry = f'picture = "{relative}"{newline}'
    existing = src.lines.get((exercise_id, "picture"))
    if existing:
        lines[existing - 1] = entry
    else:
        after = src.lines.get((exercise_id, "title")) or src.lines.get((exercise_id,))
        if (
            after is None
            or not re.match(r"^\s*(\[|title\s*=)", lines[after - 1])
            or lines[after - 1].rstrip().endswith(("[", '"""', "'''"))
        ):
            raise DataError(f"{toml_path}: cannot find where [{exercise_id}] is defined to add its picture")
        lines.insert(after, entry)
    text = "".join(lines)
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # never write a file we cannot read back
        raise DataError(f"{toml_path}: adding the picture line would break the file ({e}); add it by hand") from None
    if parsed.get(exercise_id, {}).get("picture") != relative:
        raise DataError(f"{toml_path}: could not record the picture for [{exercise_id}]; add it by hand")
    return text
