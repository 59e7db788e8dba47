"""Every fixed word on the sheet and in the patient's email, per language.

The words live in templates/wording/LANG.toml (one file a language); the names of
months and weekdays, the date pattern's words and the plural rules come from CLDR
through Babel. Babel and its locale data cost about 35 ms to load, a third of a cold
`make`, so what a sheet needs from CLDR is kept in the user's cache directory after
the first use of each language, as the booking QR is.
"""

from __future__ import annotations

import datetime as dt
import marshal
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from handouts import cache
from handouts.errors import DataError, UsageError
from handouts.models import Clinic, Dose, Range
from handouts.paths import WORDING_DIR

DEFAULT = "en"
PLURAL_RANGE = 1000  # plural categories kept for 0..999; larger counts take "other"
# The countries whose way of writing a date a clinic can choose (clinic.toml's locale)
DATE_REGIONS = ("US", "GB", "CA", "AU", "NZ", "IE", "IN", "ZA", "ES", "MX", "AR", "CO", "CL", "PE", "PR", "419")
_PATTERN = re.compile(r"'[^']*'|d{1,2}|M{1,4}|y+|E{1,4}|[^'dMyE]+")


def dose_summary(dose: Dose) -> str:
    """One line for listings and clinical notes, in English: amount, effort and frequency."""
    return load().summary(dose)


def languages() -> list[str]:
    """The languages a sheet can be printed in: one wording file each."""
    return sorted(p.stem for p in WORDING_DIR.glob("*.toml"))


class Wording(NamedTuple):  # NamedTuple, not a dataclass: start-up time
    lang: str
    table: dict[str, Any]
    months: tuple[str, ...]  # wide, January first
    months_short: tuple[str, ...]
    weekdays: tuple[str, ...]  # Monday first, at the width the table asks for
    plurals: str  # CLDR category initial for 0..PLURAL_RANGE-1: o(ne), t(wo), f(ew), m(any), x (other)
    source: Path
    date_patterns: dict[str, str]  # country -> CLDR long date pattern in this language

    def __call__(self, key: str, **values: object) -> str:
        return str(self.table[key]).format(**values)

    def chart(self, key: str, **values: object) -> str:
        """A line of the clinical summary, from the [chart] table."""
        return str(self.table["chart"][key]).format(**values)

    @property
    def pdf_lang(self) -> str:
        return str(self.table["locale"]).replace("_", "-")

    def plural(self, n: int) -> str:
        code = self.plurals[n] if 0 <= n < len(self.plurals) else "x"
        return {"z": "zero", "o": "one", "t": "two", "f": "few", "m": "many"}.get(code, "other")

    def counted(self, kind: str, r: Range) -> str:
        """'3 sets', '1–2 sets', '1 serie': a range takes the plural form of its upper end."""
        forms = self.table["dose"][kind]
        form = forms.get(self.plural(r[1]), forms["other"])
        return str(form).format(n=_span(r))

    def date(self, d: dt.date, region: str = "") -> str:
        """The date written as people in `region` write it in this language (CLDR's long date:
        "December 2, 2026" in the US, "2 December 2026" in Britain); the wording's own pattern
        where CLDR has none for that pair."""
        pattern = self.date_patterns.get(region) or str(self.table["date"])
        return "".join(self._field(token, d) for token in _PATTERN.findall(pattern))

    def _field(self, token: str, d: dt.date) -> str:
        if token.startswith("'"):
            return token[1:-1] or "'"
        letter, width = token[0], len(token)
        if letter == "d":
            return f"{d.day:0{width}d}"
        if letter == "y":
            return str(d.year)
        if letter == "M":
            return self.months[d.month - 1] if width == 4 else self.months_short[d.month - 1] if width == 3 else str(d.month)
        if letter == "E":
            return self.weekdays[d.weekday()]
        return token

    def month_short(self, d: dt.date) -> str:
        return self.months_short[d.month - 1]

    def weekday(self, d: dt.date) -> str:
        return self.weekdays[d.weekday()]

    # the dose, as a patient reads it

    def amount(self, dose: Dose) -> str:
        """'3 sets of 10–15 reps'; a held exercise reads 'Hold 45–60 seconds, 1–2 times'."""
        if dose.seconds:
            return str(self.table["dose"]["hold"]).format(
                seconds=self.counted("seconds", dose.seconds), times=self.counted("times", dose.sets)
            )
        return str(self.table["dose"]["amount"]).format(
            sets=self.counted("sets", dose.sets), amount=self.counted("reps", dose.reps or (1, 1))
        )

    def often(self, dose: Dose) -> str:
        return self._weekly(dose, "per_week")

    def weekly_target(self, dose: Dose) -> str:
        return self._weekly(dose, "weekly_target")

    def _weekly(self, dose: Dose, key: str) -> str:
        if dose.per_week >= 7:
            return str(self.table["dose"]["daily"])
        forms = self.table["dose"][key]
        if isinstance(forms, str):
            return forms.format(n=dose.per_week)
        return str(forms.get(self.plural(dose.per_week), forms["other"])).format(n=dose.per_week)

    def effort(self, dose: Dose) -> str:
        return self("rpe", level=dose.rpe) if dose.rpe else ""

    def band(self, dose: Dose) -> str:
        """'3 sets of 10–15 reps · RPE 8–9 · 2× a week': the dose line on a card."""
        parts = (self.amount(dose), self.effort(dose), self.often(dose))
        return str(self.table["dose"]["separator"]).join(p for p in parts if p)

    def summary(self, dose: Dose) -> str:
        """The same, for listings and clinical notes (plain spaces: no line is wrapped there)."""
        return ", ".join(p for p in (self.amount(dose), self.effort(dose), self.often(dose)) if p).replace("\u00a0", " ")


def fill(template: str, values: dict[str, str], what: str) -> str:
    """A clinic's own text with {clinic}, {phone} and {clinician} filled in.

    Only those plain names are filled; anything else in braces ({clinic.upper}, {0})
    prints as typed rather than reaching into Python objects, and a stray brace is a
    message naming the text, not a traceback.
    """
    import string

    out: list[str] = []
    try:
        for literal, name, spec, conversion in string.Formatter().parse(template):
            out.append(literal)
            if name is None:
                continue
            if name in values and not spec and not conversion:
                out.append(values[name])
            else:
                out.append("{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}")
    except ValueError:
        raise DataError(
            f'{what} has a stray "{{" or "}}"; write {{clinic}}, {{phone}} or {{clinician}}, or double a brace ("{{{{{{{{") to print it'
        ) from None
    return "".join(out)


def _span(r: Range) -> str:
    return str(r[0]) if r[0] == r[1] else f"{r[0]}\u2013{r[1]}"


class SheetText(NamedTuple):
    """The clinic's own words in one language, with the wording table's defaults filled in."""

    safety: str
    qr_caption: str
    rpe_legend: tuple[tuple[str, str], ...]  # every level 1..10


def clinic_text(clinic: Clinic, w: Wording) -> SheetText:
    """The clinic's words in the sheet's language; a missing safety line is refused, never
    printed in another language."""
    own = dict(clinic.texts).get(w.lang)
    if w.lang == DEFAULT:
        safety, caption, legend = clinic.safety, clinic.qr_caption, dict(clinic.rpe_legend)
    elif own is None or not own.safety:
        raise DataError(
            f"{clinic.source or 'the clinic file'}: no {w.table['language']} safety line; add an "
            f'[{w.lang}] table with safety = "..." (and, if you like, qr_caption and [{w.lang}.rpe_legend])',
            field="lang",
        )
    else:
        safety, caption, legend = own.safety, own.qr_caption, dict(own.rpe_legend)
    words = {str(k): str(v) for k, v in w.table["rpe_legend"].items()}
    words.update(legend)
    levels = tuple((str(n), words[str(n)]) for n in range(1, 11))
    default_caption = w("qr_caption_book") if clinic.booking_url else w("qr_caption_call")
    return SheetText(safety, caption or default_caption, levels)


@lru_cache(maxsize=8)
def load(lang: str = DEFAULT) -> Wording:
    """The wording for `lang`; an unknown language is a usage mistake naming the ones there are."""
    path = WORDING_DIR / f"{lang}.toml"
    if not re.fullmatch(r"[a-z]{2,3}", lang) or not path.is_file():
        raise UsageError(f'no wording for language "{lang}" (expected one of: {", ".join(languages())})', field="lang")
    entry = _cache_entry(path)
    try:
        data: dict[str, Any] = marshal.loads(cache.read(entry) or b"")  # built in: no json import at start-up
        return _wording(lang, data["table"], data["cldr"], path)
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        pass
    table = _read_table(path)
    width = table.get("weekdays", "narrow")
    if width not in ("abbreviated", "narrow", "short", "wide"):
        raise DataError(f'{path}: "weekdays" = "{width}" (expected narrow, short, abbreviated or wide)')
    cldr = _cldr(str(table["locale"]), width, lang)
    cache.write(entry, marshal.dumps({"table": table, "cldr": cldr}))
    return _wording(lang, table, cldr, path)


def _wording(lang: str, table: dict[str, Any], cldr: dict[str, Any], path: Path) -> Wording:
    if len(cldr["months"]) != 12 or len(cldr["weekdays"]) != 7 or len(cldr["plurals"]) != PLURAL_RANGE:
        raise ValueError("incomplete CLDR extract")
    return Wording(
        lang,
        table,
        tuple(cldr["months"]),
        tuple(cldr["months_short"]),
        tuple(cldr["weekdays"]),
        str(cldr["plurals"]),
        path,
        dict(cldr["date_patterns"]),
    )


def _read_table(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise DataError(f"{path}: cannot read the wording ({e})") from None
    have = _keys(table)
    missing = sorted(
        k
        for k in _reference_keys()  # a plural family counts when its "other" form is there
        if k not in have and f"{k}.other" not in have and k.removesuffix(".other") not in have
    )
    if missing:
        raise DataError(f'{path}: missing "{missing[0]}" (every key of en.toml must be translated)')
    return table


def _cache_entry(path: Path) -> Path:
    """Keyed by the wording file's stamp and the code that extracts from CLDR, so an edit is read again at once."""
    return cache.entry("wording", cache.stamp(path), cache.made_by(_cldr), cache.made_by(_wording), PLURAL_RANGE)


@lru_cache(maxsize=1)
def _reference_keys() -> frozenset[str]:
    import tomllib

    keys = _keys(tomllib.loads((WORDING_DIR / f"{DEFAULT}.toml").read_text(encoding="utf-8")))
    return frozenset(k for k in keys if not k.startswith("dose.") or k.count(".") == 1 or k.endswith(".other"))


def _keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in table.items():
        if isinstance(value, dict):
            keys |= _keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def _cldr(locale: str, weekday_width: Literal["abbreviated", "narrow", "short", "wide"], lang: str = DEFAULT) -> dict[str, Any]:
    """Month and weekday names, plural categories and each country's long date pattern from CLDR
    (about 35 ms with Babel's import, once per wording file)."""
    from babel import Locale, UnknownLocaleError
    from babel.dates import get_day_names, get_month_names

    loc = Locale.parse(locale)
    patterns = {}
    for region in DATE_REGIONS:
        try:
            patterns[region] = Locale.parse(f"{lang}_{region}").date_formats["long"].pattern
        except (UnknownLocaleError, ValueError):
            continue  # no such pair in CLDR: the wording's own pattern
    return {
        "date_patterns": patterns,
        "months": [get_month_names("wide", locale=loc)[m] for m in range(1, 13)],
        "months_short": [get_month_names("abbreviated", locale=loc)[m].rstrip(".") for m in range(1, 13)],
        "weekdays": [get_day_names(weekday_width, locale=loc)[d].capitalize() for d in range(7)],  # "LU" -> "Lu"
        "plurals": "".join(
            {"zero": "z", "one": "o", "two": "t", "few": "f", "many": "m"}.get(loc.plural_form(n), "x") for n in range(PLURAL_RANGE)
        ),
    }
