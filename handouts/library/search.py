"""Finding exercises in the library by words, body region and equipment."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from handouts.errors import UsageError, suggest
from handouts.library.load import EQUIPMENT, REGIONS
from handouts.models import Exercise, Library


def folded(text: str) -> str:
    """Lower case without accents: "talón" is found by "talon", "Calf" by "calf"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def find(library: Library, words: Sequence[str] = (), region: str | None = None, equipment: str | None = None) -> list[Exercise]:
    """Exercises matching every word (in id, title, short name or cues), in library order."""
    if region is not None and region not in REGIONS:
        raise UsageError(f'unknown region "{region}"{suggest(region, REGIONS)} (expected one of: {", ".join(REGIONS)})')
    if equipment is not None and equipment not in EQUIPMENT:
        raise UsageError(f'unknown equipment "{equipment}"{suggest(equipment, EQUIPMENT)} (expected one of: {", ".join(EQUIPMENT)})')
    wanted = [folded(w) for w in words if w.strip()]
    return [
        ex
        for ex in library.exercises.values()
        if (region is None or region in ex.region)
        and (equipment is None or equipment in ex.equipment)
        and all(w in _haystack(ex) for w in wanted)
    ]


def _haystack(ex: Exercise) -> str:
    return folded(" ".join(_texts(ex)))


def _texts(ex: Exercise) -> Iterable[str]:
    yield ex.id
    yield ex.title
    yield ex.short
    yield from ex.cues
