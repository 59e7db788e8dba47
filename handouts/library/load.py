"""Loading the exercise library, programs and clinic from TOML, strictly.

Strict because a clinic edits these files by hand: an unknown key is far more
often a typo ("rpm" for "rpe") than a wish, and a silent default would print a
wrong dose on a patient's sheet. Every problem is collected, so `handouts check`
can show them all at once.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handouts import cache
from handouts.errors import DataError, UsageError, located, suggest
from handouts.models import (
    Clinic,
    ClinicText,
    Dose,
    EmailSettings,
    Exercise,
    ExerciseText,
    Figure,
    Library,
    Program,
    Range,
    Shape,
    luminance,
    tidy,
)
from handouts.paths import BASE_POSES, DEFAULT_CLINIC, DEFAULT_LIBRARY, WORDING_DIR, figures_file

if TYPE_CHECKING:  # the TOML reader loads only when a file must really be read (see load_library)
    from handouts.library.tomlsource import TomlSource

MAX_EXERCISES = 6
MAX_CUES = 4
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_RPE = re.compile(r"^(\d{1,2})(\+|-(\d{1,2}))?$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

EXERCISE_KEYS = {
    "title",
    "short",
    "cues",
    "sets",
    "reps",
    "seconds",
    "load",
    "rpe",
    "per_week",
    "picture",
    "region",
    "equipment",
    "position",
}
# Fixed lists, so a search by region or equipment finds every exercise that should match
REGIONS = ("ankle-foot", "knee", "hip", "low-back-core", "neck-upper-back", "shoulder", "elbow-wrist-hand", "balance", "mobility")
EQUIPMENT = ("none", "chair", "wall", "step", "band", "weight", "ball", "towel", "counter", "plate", "pillow", "door", "table")
POSITIONS = ("standing", "sitting", "lying", "side-lying", "face-down", "hands-and-knees")
PROGRAM_KEYS = {"title", "exercises"}
CLINIC_KEYS = {
    "name",
    "clinician",
    "credentials",
    "phone",
    "booking_url",
    "logo",
    "brand_color",
    "qr_caption",
    "safety",
    "rpe_legend",
    "email",
    "grayscale",
    "lang",
    "locale",
}
CLINIC_TEXT_KEYS = {"safety", "qr_caption", "rpe_legend", "email_subject", "email_body"}
RPE_LEVELS = ("7", "8", "9", "10")  # every clinic explains these...
RPE_OPTIONAL = ("1", "2", "3", "4", "5", "6")  # ...and these when a dose asks for them
EMAIL_KEYS = {"host", "port", "security", "username", "sender", "reply_to", "subject", "body", "cafile", "encrypt", "timeout"}
# What the cache keys its entries by: change a field of any of these and every entry is made afresh
MODEL_TYPES = (Library, Exercise, Dose, Program, ExerciseText, Clinic, ClinicText, EmailSettings, Figure, Shape)
SECURITY = {"starttls": 587, "ssl": 465, "none": 25}  # and the port each usually listens on


LIBRARY_FILES = ("exercises.toml", "exercises.es.toml", "programs.toml", "figures.toml", "clinic.toml")


def is_installed_copy(directory: Path) -> bool:
    """The shipped library inside site-packages: an upgrade would silently undo any edit there."""
    return any(part in ("site-packages", "dist-packages") for part in directory.resolve().parts)


def copy_library(target: Path) -> list[Path]:
    """`handouts init`: the shipped files copied for a clinic to edit; never over existing ones."""
    existing = [target / name for name in LIBRARY_FILES if (target / name).exists()]
    if existing:
        raise UsageError(f"{existing[0]} already exists; choose an empty directory (nothing was copied)")
    from handouts.output import why, write_atomic

    written = []
    for name in LIBRARY_FILES:  # each whole or not at all: a full disk never leaves an empty clinic.toml
        try:
            data = (DEFAULT_LIBRARY / name).read_bytes()
        except OSError as e:
            raise DataError(f"{DEFAULT_LIBRARY / name}: cannot read the shipped library ({why(e)})") from None
        written.append(write_atomic(target / name, data, force=True))
    return written


def _unknown_keys(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            src.problem(where + (key,), f'unknown key "{key}"{suggest(key, allowed)}')


def _text(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str, required: bool = True, limit: int = 200) -> str:
    value = table.get(key)
    if value is None:
        if required:
            src.problem(where, f'missing "{key}" (expected text)')
        return ""
    if not isinstance(value, str):
        src.problem(where + (key,), f'"{key}" must be text in quotes, got {value!r}')
        return ""
    value = tidy(value)
    if required and not value:
        src.problem(where + (key,), f'"{key}" is empty')
    if len(value) > limit:
        src.problem(where + (key,), f'"{key}" is {len(value)} characters; keep it under {limit}')
    return value


def _range(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str, low: int, high: int) -> Range | None:
    value = table.get(key)
    if value is None:
        return None
    pair = [value, value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        src.problem(where + (key,), f'"{key}" must be a whole number or [low, high], got {value!r}')
        return None
    a, b = pair
    if not (low <= a <= b <= high):
        src.problem(where + (key,), f'"{key}" = {value!r} is out of range (expected {low} to {high}, low first)')
        return None
    return (a, b)


def _exercise(src: TomlSource, ex_id: str, table: Any) -> Exercise | None:
    where = (ex_id,)
    if not isinstance(table, dict):
        src.problem(where, f'"{ex_id}" must be a table like [{ex_id}], got a {type(table).__name__}')
        return None
    if not _ID.match(ex_id):
        src.problem(where, f'exercise id "{ex_id}" must be lower-case letters, digits and hyphens')
    before = len(src.problems)
    _unknown_keys(src, where, table, EXERCISE_KEYS)
    title = _text(src, where, table, "title", limit=90)
    short = _text(src, where, table, "short", required=False, limit=40)
    _short_from_title(src, where, title, short)
    load = _text(src, where, table, "load", required=False, limit=120)
    cues = table.get("cues")
    if not isinstance(cues, list) or not cues or not all(isinstance(c, str) and c.strip() for c in cues):
        src.problem(where + ("cues",), f'"cues" must be a list of 1 to {MAX_CUES} non-empty texts')
        cues = []
    elif len(cues) > MAX_CUES:
        src.problem(where + ("cues",), f'"cues" has {len(cues)} entries; a patient reads at most {MAX_CUES}')
    elif any(len(c) > 200 for c in cues):
        src.problem(where + ("cues",), '"cues" has an entry over 200 characters; split or shorten it')
    sets = _range(src, where, table, "sets", 1, 10)
    if sets is None and "sets" not in table:
        src.problem(where, 'missing "sets" (expected a number or [low, high])')
    reps = _range(src, where, table, "reps", 1, 100)
    seconds = _range(src, where, table, "seconds", 1, 600)
    if ("reps" in table) == ("seconds" in table):
        src.problem(where, 'give exactly one of "reps" or "seconds"')
    rpe = table.get("rpe")
    rpe_text = str(rpe) if isinstance(rpe, (str, int)) and not isinstance(rpe, bool) else ""
    match = _RPE.match(rpe_text)
    if rpe is None:
        pass  # effort is not the point of every exercise (a stretch, a balance hold)
    elif not match or not all(1 <= int(g) <= 10 for g in (match.group(1), match.group(3)) if g):
        src.problem(where + ("rpe",), f'"rpe" = {rpe!r} is not an effort level (expected "7", "7+" or "8-9", from 1 to 10)')
    per_week = table.get("per_week")
    if not isinstance(per_week, int) or isinstance(per_week, bool) or not 1 <= per_week <= 7:
        src.problem(
            where + ("per_week",) if "per_week" in table else where,
            f'"per_week" must be a whole number of days from 1 to 7, got {per_week!r}',
        )
    picture = table.get("picture")
    picture_path: Path | None = None
    if picture is not None:
        if not isinstance(picture, str) or not picture.strip():
            src.problem(where + ("picture",), '"picture" must be a file name in quotes')
        else:
            picture_path = (src.path.parent / picture).resolve()
            if not picture_path.is_file():
                src.problem(where + ("picture",), f'picture "{picture}" not found (looked for {picture_path})')
    region = _choices(src, where, table, "region", REGIONS)
    equipment = _choices(src, where, table, "equipment", EQUIPMENT)
    position = _choices(src, where, table, "position", POSITIONS, single=True)
    if len(src.problems) > before or sets is None or (reps is None and seconds is None):
        return None
    dose = Dose(
        sets=sets,
        reps=reps,
        seconds=seconds,
        rpe=rpe_text.replace("-", "\u2013"),
        per_week=per_week if isinstance(per_week, int) else 7,
        load=load,
    )
    return Exercise(
        id=ex_id,
        title=title,
        short=short,
        dose=dose,
        cues=tuple(tidy(c) for c in cues),
        picture=picture_path,
        line=src.line(ex_id) or 0,
        region=region,
        equipment=equipment,
        position=position[0] if position else "",
    )


_WORD = re.compile(r"[^\W_]+")  # letters and digits: "Single-leg" is two words, "a" and "á" differ


def _short_from_title(src: TomlSource, where: tuple[str, ...], title: str, short: str) -> str:
    """The log's row names an exercise as its card does: its short name may only leave words of
    the title out ("Hamstring curl" for "Standing knee bend" sends a patient looking for a card
    that is not there)."""
    if short and title:
        known = {w.casefold() for w in _WORD.findall(title)}
        strangers = [w for w in _WORD.findall(short) if w.casefold() not in known]
        if strangers:
            src.problem(
                where + ("short",),
                f'"short" = "{short}" has words the title "{title}" does not ({", ".join(strangers)}); '
                'the log\'s row must read as the card does: use words of the title, or leave "short" out',
            )
    return short


def _choices(
    src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str, allowed: tuple[str, ...], single: bool = False
) -> tuple[str, ...]:
    """An optional word (or list of words) from a fixed list, each checked with a "did you mean"."""
    value = table.get(key)
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    expected = f"one of {', '.join(allowed)}" if single else f"a list of words from: {', '.join(allowed)}"
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values) or (single and not isinstance(value, str)):
        src.problem(where + (key,), f'"{key}" must be {expected}; got {value!r}')
        return ()
    for v in values:
        if v not in allowed:
            src.problem(where + (key,), f'"{key}" has "{v}"{suggest(v, allowed)}; expected {expected}')
            return ()
    return tuple(values)


def _program(src: TomlSource, prog_id: str, table: Any, exercises: dict[str, Exercise], known_ids: set[str]) -> Program | None:
    where = (prog_id,)
    if not isinstance(table, dict):
        src.problem(where, f'"{prog_id}" must be a table like [{prog_id}]')
        return None
    before = len(src.problems)
    _unknown_keys(src, where, table, PROGRAM_KEYS)
    title = _text(src, where, table, "title", limit=90)
    ids = table.get("exercises")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        src.problem(where + ("exercises",), '"exercises" must be a list of exercise ids')
        return None
    if len(ids) > MAX_EXERCISES:
        src.problem(where + ("exercises",), f"{len(ids)} exercises; one page holds at most {MAX_EXERCISES}")
    for ex_id in ids:
        if ex_id not in known_ids:
            src.problem(where + ("exercises",), f'program "{prog_id}" names unknown exercise "{ex_id}"{suggest(ex_id, known_ids)}')
    if len(src.problems) > before:
        return None
    return Program(prog_id, title, tuple(ids))


def read_library(directory: Path) -> tuple[Library | None, list[str]]:
    """Every exercise and program in `directory`, and every problem found on the way."""
    problems: list[str] = []
    if not directory.is_dir():
        return None, [f"{directory}: library directory not found (expected exercises.toml and programs.toml inside)"]
    ex_src = _read(directory / "exercises.toml", problems)
    pr_src = _read(directory / "programs.toml", problems)
    if ex_src is None or pr_src is None:
        for other in sorted(directory.glob("exercises.*.toml")):  # their own syntax errors, in the same run
            _read(other, problems)
        return None, problems
    exercises: dict[str, Exercise] = {}
    for ex_id, table in ex_src.data.items():
        ex = _exercise(ex_src, ex_id, table)
        if ex:
            exercises[ex_id] = ex
    if not ex_src.data:
        ex_src.problem((), "no exercises defined (expected tables like [wall-calf-raise])")
    programs: dict[str, Program] = {}
    default = pr_src.data.get("default")
    for prog_id, table in pr_src.data.items():
        if prog_id == "default":
            continue
        prog = _program(pr_src, prog_id, table, exercises, set(ex_src.data))
        if prog:
            programs[prog_id] = prog
    if not isinstance(default, str):
        pr_src.problem(("default",), 'missing "default" (expected the id of the program to use when none is given)')
        default = ""
    elif default not in pr_src.data:
        pr_src.problem(("default",), f'default program "{default}" is not defined{suggest(default, programs)}')
    problems += ex_src.problems + pr_src.problems
    from handouts.library.figures import read_figures

    figures = read_figures(figures_file(directory), set(ex_src.data), problems)
    exercises = {k: dataclasses.replace(ex, figure=figures.get(k)) for k, ex in exercises.items()}
    leftovers: list[str] = []
    translations, titles = _translations(directory, set(ex_src.data), set(pr_src.data), problems, leftovers)
    if problems:
        return None, problems
    return Library(exercises, programs, default, directory, translations, titles, tuple(leftovers)), problems


TEXT_KEYS = {"title", "short", "cues", "load"}


def _translations(
    directory: Path, exercises: set[str], programs: set[str], problems: list[str], leftovers: list[str]
) -> tuple[dict[str, dict[str, ExerciseText]], dict[str, dict[str, str]]]:
    """exercises.LANG.toml: each exercise's words in another language, and the programs' titles."""
    from handouts.wording import DEFAULT, languages

    texts: dict[str, dict[str, ExerciseText]] = {}
    titles: dict[str, dict[str, str]] = {}
    for lang in languages():
        path = directory / f"exercises.{lang}.toml"
        if lang == DEFAULT or not path.is_file():
            continue
        src = _read(path, problems)
        if src is None:
            continue
        texts[lang], titles[lang] = {}, {}
        program_table = src.data.get("programs", {})
        if not isinstance(program_table, dict):
            src.problem(("programs",), "[programs] must be a table of program id = title")
            program_table = {}
        for prog_id in program_table:
            if prog_id not in programs:  # removed or renamed since: harmless, but worth a note
                leftovers.append(
                    located(path, src.line("programs", prog_id), f'title for unknown program "{prog_id}"{suggest(prog_id, programs)}')
                )
            else:
                titles[lang][prog_id] = _text(src, ("programs",), program_table, prog_id, limit=90)
        for ex_id, table in src.data.items():
            if ex_id == "programs":
                continue
            if ex_id not in exercises:
                leftovers.append(located(path, src.line(ex_id), f'text for unknown exercise "{ex_id}"{suggest(ex_id, exercises)}'))
                continue
            if not isinstance(table, dict):
                src.problem((ex_id,), f'"{ex_id}" must be a table like [{ex_id}]')
                continue
            where = (ex_id,)
            _unknown_keys(src, where, table, TEXT_KEYS)
            cues = table.get("cues")
            if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues) or not cues:
                src.problem(where + ("cues",), f'"cues" must be a list of 1 to {MAX_CUES} non-empty texts')
                cues = []
            elif len(cues) > MAX_CUES:
                src.problem(where + ("cues",), f'"cues" has {len(cues)} entries; a patient reads at most {MAX_CUES}')
            title = _text(src, where, table, "title", limit=90)
            texts[lang][ex_id] = ExerciseText(
                title=title,
                cues=tuple(tidy(c) for c in cues),
                short=_short_from_title(src, where, title, _text(src, where, table, "short", required=False, limit=40)),
                load=_text(src, where, table, "load", required=False, limit=120),
                line=src.line(ex_id) or 0,
            )
        problems += src.problems
    return texts, titles


def missing_translations(library: Library) -> list[str]:
    """For `handouts check`: every exercise and program without words in each other language."""
    from handouts.wording import DEFAULT, languages, load

    notes: list[str] = list(library.leftovers)
    for lang in languages():
        if lang == DEFAULT:
            continue
        language = load(lang).table["language"]
        path = library.source / f"exercises.{lang}.toml"
        texts = library.translations.get(lang, {})
        for ex in library.exercises.values():
            text = texts.get(ex.id)
            if text is None:
                notes.append(
                    located(library.source / "exercises.toml", ex.line, f'"{ex.id}" has no {language} text (add [{ex.id}] to {path.name})')
                )
            elif ex.dose.load and not text.load:
                notes.append(located(path, text.line, f'"{ex.id}" has no {language} "load"'))
        for prog in library.programs.values():
            if prog.id not in library.program_titles.get(lang, {}):
                notes.append(f'{path}: program "{prog.id}" has no {language} title (add it under [programs])')
    return notes


def _read(path: Path, problems: list[str]) -> TomlSource | None:
    from handouts.library.tomlsource import read_toml

    try:
        return read_toml(path)
    except DataError as e:
        problems.append(str(e))
        return None


def read_clinic(path: Path) -> tuple[Clinic | None, list[str]]:
    """The clinic printed on the sheet, and every problem with its file."""
    from handouts.library.tomlsource import read_toml

    try:
        src = read_toml(path)
    except DataError as e:
        return None, [str(e)]
    data = src.data
    from handouts.wording import DEFAULT, languages

    others = [lang for lang in languages() if lang != DEFAULT]
    _unknown_keys(src, (), data, CLINIC_KEYS | set(others))
    name = _text(src, (), data, "name", limit=80)
    clinician = _text(src, (), data, "clinician", limit=60)
    credentials = _text(src, (), data, "credentials", required=False, limit=60)
    phone = _text(src, (), data, "phone", limit=30)
    if phone and sum(c.isdigit() for c in phone) < 7:
        src.problem(("phone",), f'"phone" = "{phone}" has too few digits for a phone number')
    safety = _text(src, (), data, "safety", limit=220)
    caption = _text(src, (), data, "qr_caption", required=False, limit=60)
    booking_url = _text(src, (), data, "booking_url", required=False, limit=300)
    if booking_url and not booking_url.startswith(("https://", "http://")):
        src.problem(("booking_url",), f'"booking_url" = "{booking_url}" must start with https://')
    color = _text(src, (), data, "brand_color", required=False) or "#1d4e6e"
    if not _COLOR.match(color):
        src.problem(("brand_color",), f'"brand_color" = "{color}" is not a colour (expected #RRGGBB, like "#1d4e6e")')
    elif _luminance(color) > 0.35:
        src.problem(("brand_color",), f'"brand_color" = "{color}" is too light to read on white or in grayscale; pick a darker shade')
    logo: Path | None = None
    logo_name = _text(src, (), data, "logo", required=False)
    if logo_name:
        logo = (path.parent / logo_name).resolve()
        if not logo.is_file():
            src.problem(("logo",), f'logo "{logo_name}" not found (looked for {logo})')
        else:
            from handouts.library.photos import inspect_image  # Pillow only for clinics with a logo

            problem = inspect_image(logo)
            if problem:
                src.problem(("logo",), f'logo "{logo_name}": {problem}')
    legend = _legend(src, (), data.get("rpe_legend"))
    lang = _text(src, (), data, "lang", required=False) or DEFAULT
    if lang not in languages():
        src.problem(("lang",), f'"lang" = "{lang}" has no wording (expected one of: {", ".join(languages())})')
    texts: list[tuple[str, ClinicText]] = []
    for other in others:
        if other in data:
            local = _clinic_text(src, other, data[other])
            if local is not None:
                texts.append((other, local))
    region = _region(src, data)
    grayscale = data.get("grayscale", False)
    if not isinstance(grayscale, bool):
        src.problem(("grayscale",), f'"grayscale" must be true or false, got {grayscale!r}')
    email = _email(src, data.get("email")) if "email" in data else None
    if src.problems:
        return None, src.problems
    return Clinic(
        name=name,
        clinician=clinician,
        credentials=credentials,
        phone=phone,
        safety=safety,
        rpe_legend=legend,
        qr_caption=caption,
        booking_url=booking_url,
        logo=logo,
        brand_color=color.lower(),
        source=path,
        grayscale=grayscale is True,
        email=email,
        lang=lang,
        region=region,
        texts=tuple(texts),
    ), []


_LOCALE = re.compile(r"^([a-z]{2,3})[-_]([A-Z]{2}|[0-9]{3})$")


def _region(src: TomlSource, data: dict[str, Any]) -> str:
    """clinic.toml's `locale` ("en-US", "en-GB", "es-ES", "es-US"): the country whose way of
    writing a date the sheet follows, in whichever language it is printed."""
    from handouts.wording import DATE_REGIONS

    value = data.get("locale", "en-US")
    match = _LOCALE.match(value) if isinstance(value, str) else None
    if match is None or match.group(2) not in DATE_REGIONS:
        src.problem(
            ("locale",),
            f'"locale" = {value!r} is not one I can write dates for (expected a language and a country like '
            f'"en-US", "en-GB", "es-ES" or "es-US"; countries: {", ".join(DATE_REGIONS)})',
        )
        return "US"
    return match.group(2)


def _legend(src: TomlSource, where: tuple[str, ...], table: Any) -> tuple[tuple[str, str], ...]:
    """The clinic's words for any effort level it wants to word itself."""
    if table is None:
        return ()
    key = where + ("rpe_legend",)
    if not isinstance(table, dict):
        src.problem(key, '[rpe_legend] must be a table of levels, like 7 = "Hard. About 3 more."')
        return ()
    _unknown_keys(src, key, table, {*RPE_OPTIONAL, *RPE_LEVELS})
    return tuple((level, _text(src, key, table, level, limit=40)) for level in (*RPE_OPTIONAL, *RPE_LEVELS) if level in table)


def _clinic_text(src: TomlSource, lang: str, table: Any) -> ClinicText | None:
    where = (lang,)
    if not isinstance(table, dict):
        src.problem(where, f"[{lang}] must be a table (the clinic's own words in that language)")
        return None
    _unknown_keys(src, where, table, CLINIC_TEXT_KEYS)
    return ClinicText(
        safety=_text(src, where, table, "safety", limit=220),
        qr_caption=_text(src, where, table, "qr_caption", required=False, limit=60),
        rpe_legend=_legend(src, where, table.get("rpe_legend")),
        email_subject=_text(src, where, table, "email_subject", required=False, limit=120),
        email_body=_multiline(src, where, table, "email_body"),
    )


def _email(src: TomlSource, table: Any) -> EmailSettings | None:
    where = ("email",)
    if not isinstance(table, dict):
        src.problem(where, "[email] must be a table")
        return None
    before = len(src.problems)
    if "password" in table:  # a password in a file gets copied, synced and committed
        src.problem(
            where + ("password",), '"password" does not belong in a file; set the HANDOUTS_SMTP_PASSWORD environment variable instead'
        )
    _unknown_keys(src, where, {k: v for k, v in table.items() if k != "password"}, EMAIL_KEYS)
    host = _text(src, where, table, "host", limit=200)
    sender = _text(src, where, table, "sender", limit=200)
    security = _text(src, where, table, "security", required=False) or "starttls"
    if security not in SECURITY:
        src.problem(where + ("security",), f'"security" = "{security}" (expected {", ".join(SECURITY)})')
    port = table.get("port", SECURITY.get(security, 587))
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        src.problem(where + ("port",), f'"port" must be a number from 1 to 65535, got {port!r}')
    cafile_name = _text(src, where, table, "cafile", required=False)
    cafile = (src.path.parent / cafile_name).resolve() if cafile_name else None
    if cafile is not None and not cafile.is_file():
        src.problem(where + ("cafile",), f'cafile "{cafile_name}" not found (looked for {cafile})')
    encrypt = table.get("encrypt", False)
    if not isinstance(encrypt, bool):
        src.problem(where + ("encrypt",), f'"encrypt" must be true or false, got {encrypt!r}')
    timeout = table.get("timeout", 60)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 1 <= timeout <= 600:
        src.problem(where + ("timeout",), f'"timeout" must be the seconds one message may take, 1 to 600, got {timeout!r}')
        timeout = 60
    settings = EmailSettings(
        host=host,
        port=port if isinstance(port, int) else 0,
        security=security,
        sender=sender,
        username=_text(src, where, table, "username", required=False, limit=200),
        reply_to=_text(src, where, table, "reply_to", required=False, limit=200),
        subject=_template(src, where, table, "subject", _text(src, where, table, "subject", required=False, limit=120)),
        body=_template(src, where, table, "body", _multiline(src, where, table, "body")),
        cafile=cafile,
        encrypt=encrypt is True,
        deadline=float(timeout),
    )
    return settings if len(src.problems) == before else None


def _template(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str, text: str) -> str:
    """A subject or body with {placeholders}: a stray brace is reported at its line, before any mail."""
    from handouts.wording import fill

    try:
        fill(text, {}, f'"{key}"')
    except DataError as e:
        src.problem(where + (key,), str(e))
    return text


def _multiline(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str) -> str:
    """Like _text, but keeps the line breaks a clinic wrote into an email body."""
    value = table.get(key, "")
    if not isinstance(value, str):
        src.problem(where + (key,), f'"{key}" must be text in quotes, got {value!r}')
        return ""
    return value.strip()


def _luminance(color: str) -> float:
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return luminance(r, g, b)


def load_library(directory: Path | None = None) -> Library:
    """The validated library, from the cache when none of its files changed since it was checked."""
    directory = directory or DEFAULT_LIBRARY
    entry = _cache_entry("library", _library_files(directory))
    library: Library | None = cache.get_value(entry, Library)
    if library is not None:
        return library if library.source == directory else dataclasses.replace(library, source=directory)
    library, problems = read_library(directory)
    if library is None:
        raise DataError("\n".join(problems))
    cache.put_value(entry, library, [ex.picture for ex in library.exercises.values() if ex.picture])
    return library


def load_clinic(path: Path | None = None) -> Clinic:
    """The validated clinic file, from the cache likewise (checked again when a language is added)."""
    path = path or DEFAULT_CLINIC
    entry = _cache_entry("clinic", [path, *sorted(WORDING_DIR.glob("*.toml"))])
    found: Clinic | None = cache.get_value(entry, Clinic)
    if found is not None:
        return found if found.source == path else dataclasses.replace(found, source=path)  # as typed this time
    clinic, problems = read_clinic(path)
    if clinic is None:
        raise DataError("\n".join(problems))
    cache.put_value(entry, clinic, [p for p in (clinic.logo, clinic.email.cafile if clinic.email else None) if p])
    return clinic


def _library_files(directory: Path) -> list[Path]:
    return [
        directory / "exercises.toml",
        directory / "programs.toml",
        *sorted(directory.glob("exercises.*.toml")),
        figures_file(directory),
        BASE_POSES,
    ]


def _cache_entry(kind: str, files: list[Path]) -> Path | None:
    """Keyed by the files' stamps and the models' shape: a changed file or model is read and checked afresh."""
    stamps = cache.stamps(files)
    if stamps is None:
        return None  # a missing file: let the reader say so
    return cache.entry(kind, cache.shape(*MODEL_TYPES), stamps)
