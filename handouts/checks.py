"""`handouts check`: every problem in a clinic's data files, found in one go.

Reading the TOML finds typos and wrong types; this goes one step further and
tries each exercise on a page, so a clinic learns that a cue is too long or has
characters the fonts lack before a patient is waiting for the sheet.
"""

from __future__ import annotations

from pathlib import Path

from handouts.errors import HandoutError, located
from handouts.library.load import missing_translations, read_clinic, read_library
from handouts.models import Clinic, Library
from handouts.paths import DEFAULT_CLINIC, DEFAULT_LIBRARY


def check_files(library_dir: Path | None, clinic_file: Path | None) -> tuple[list[str], Library | None, list[str]]:
    """Problems (each stops a sheet), the library, and notes: text missing in another language,
    which stops only a sheet in that language."""
    library, problems = read_library(library_dir or DEFAULT_LIBRARY)
    clinic, clinic_problems = read_clinic(clinic_file or DEFAULT_CLINIC)
    problems += clinic_problems
    notes: list[str] = []
    if library is not None and clinic is not None:
        problems += _try_on_a_page(library, clinic)
        try:
            notes = missing_translations(library)
        except HandoutError as e:
            problems.append(str(e))
    return problems, library, notes


def _clinic_printable(clinic: Clinic) -> list[str]:
    """Every field of the clinic file the fonts cannot print, each with its line, in one run."""
    from handouts.library.tomlsource import read_toml
    from handouts.render import fonts

    assert clinic.source is not None
    src = read_toml(clinic.source)
    fields: dict[tuple[str, ...], str] = {
        ("name",): clinic.name,
        ("clinician",): clinic.clinician,
        ("credentials",): clinic.credentials,
        ("phone",): clinic.phone,
        ("safety",): clinic.safety,
        ("qr_caption",): clinic.qr_caption,
    }
    fields.update({("rpe_legend", level): words for level, words in clinic.rpe_legend})
    for lang, local in clinic.texts:
        fields.update({(lang, "safety"): local.safety, (lang, "qr_caption"): local.qr_caption})
    problems = []
    for where, value in fields.items():
        try:
            fonts.require_printable(value, f'"{".".join(where)}"')
        except HandoutError as e:
            problems.append(located(clinic.source, src.line(*where), str(e)))
    return problems


def _try_on_a_page(library: Library, clinic: Clinic) -> list[str]:
    from handouts.compose import compose
    from handouts.render.pdf import render

    problems = _clinic_printable(clinic)
    if problems:
        return problems  # the clinic's own words cannot be printed; every exercise would fail the same way
    try:
        render([compose(library, clinic, "Check", (next(iter(library.exercises)),))])
    except HandoutError as e:
        return [str(e)]
    where = library.source / "exercises.toml"
    for ex in library.exercises.values():
        for paper in ("letter", "a4"):
            try:
                render([compose(library, clinic, "Check", (ex.id,), paper=paper)])
            except HandoutError as e:
                problems.append(located(where, ex.line, str(e)))
                break
    return problems
