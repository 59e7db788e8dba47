"""Finding exercises in the library by words, body region and equipment."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

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


# How much a word found in each place counts toward an exercise's place in the list (added up
# over the places it is in): where an exercise works and what it is called first, what it is
# done with next, its cues last. "knee" puts the knee exercises before the knee-to-chest stretch.
WEIGHTS = (("region", 10.0), ("title", 8.0), ("short", 5.0), ("equipment", 4.0), ("id", 2.0), ("cues", 1.0))
NEAR = 0.75  # a word the library does not have, within this likeness of one it has, is taken as that one
AKIN = 0.8  # a synonym's or a near word's weight beside the word itself


def ranked(
    library: Library, text: str, region: str | None = None, equipment: str | None = None, synonyms: dict[str, list[str]] | None = None
) -> list[Exercise]:
    """The web page's search: exercises matching every word typed (as typed, as a synonym a
    therapist uses, or as the nearest word the library has, for a typo), best first: a word in
    the title or the region counts more than one in the cues. Nothing typed: all of them, in order."""
    pool = find(library, (), region, equipment)
    words = [w for w in folded(text).replace(",", " ").split() if w]
    if not words:
        return pool
    places = {ex.id: _places(ex) for ex in pool}
    vocabulary = sorted({w for fields in places.values() for value in fields.values() for w in value.split()})
    scored: list[tuple[float, int, Exercise]] = []
    choices = [_choices(w, vocabulary, synonyms or {}) for w in words]
    for order, ex in enumerate(pool):
        total = 0.0
        for alternatives in choices:
            best = max((_score(places[ex.id], phrase) * weight for phrase, weight in alternatives), default=0.0)
            if best == 0:
                break
            total += best
        else:
            scored.append((-total, order, ex))
    return [ex for _, _, ex in sorted(scored, key=lambda t: (t[0], t[1]))]


def _places(ex: Exercise) -> dict[str, str]:
    def plain(text: str) -> str:
        return " ".join(folded(text).replace("-", " ").replace(",", " ").replace("(", " ").replace(")", " ").split())

    return {
        "title": plain(ex.title),
        "region": plain(" ".join(ex.region)),
        "short": plain(ex.short),
        "equipment": plain(" ".join(ex.equipment)),
        "id": plain(ex.id),
        "cues": plain(" ".join(ex.cues)),
    }


def _choices(word: str, vocabulary: list[str], synonyms: dict[str, list[str]]) -> list[tuple[str, float]]:
    """The word itself, what it is a synonym for, and, when the library lacks it, its nearest words."""
    import difflib

    plain = word.replace("-", " ")
    out = [(plain, 1.0)]
    out += [(folded(s).replace("-", " "), AKIN) for s in synonyms.get(word, [])]
    if not any(v.startswith(plain) for v in vocabulary) and word not in synonyms:
        out += [(near, AKIN) for near in difflib.get_close_matches(plain, vocabulary, n=3, cutoff=NEAR)]
    return out


def _score(places: dict[str, str], phrase: str) -> float:
    """The weights of the places this phrase starts a word in, added up; 0 if nowhere."""
    return sum(weight for place, weight in WEIGHTS if f" {phrase}" in f" {places[place]}")


def load_synonyms(path: Path) -> dict[str, list[str]]:
    """synonyms.toml; a file that cannot be read costs only the synonyms, never the search."""
    import tomllib

    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {folded(k): [str(v) for v in vs] for k, vs in data.items() if isinstance(vs, list)}
