"""A patient who reads Spanish first gets every word of the sheet in Spanish."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

from handouts.cli import main
from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.models import Dose
from handouts.paths import WORDING_DIR
from handouts.render.layout import PAPER, plan_card
from handouts.render.pdf import render
from handouts.wording import load

from .pdfread import column_texts, page_count, page_texts

# English words of the fixed wording that have no business on a Spanish sheet
ENGLISH = [
    "For",
    "Given",
    "Notes",
    "Two-week",
    "tick",
    "goal",
    "sets",
    "set",
    "reps",
    "seconds",
    "daily",
    "week",
    "How hard",
    "Scan",
    "or call",
    "Stop and call",
    "Hard",
    "easy",
    "Mo",
    "Tu",
    "We",
    "Th",
    "Fr",
    "Su",
    "November",
    "December",
    "Nov",
    "Dec",
    "Your home",
    "Hold a weight",
]


def spanish_text(*ids: str, start: dt.date | None = None, paper: str = "letter") -> str:
    return page_texts(render([compose(load_library(), load_clinic(), "Ana Lima", ids, start=start, paper=paper, lang="es")]))[0]


def test_ana_gets_a_clean_spanish_sheet(runner, tmp_path, fixed_date):
    result = runner.invoke(main, ["make", "Ana Lima", "--lang", "es", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = page_texts(Path(result.stdout.strip()))[0]
    assert "Para" in text and "Ana Lima" in text
    assert "Carga de tobillo y pie para corredores" in text
    assert "Entregado el 25 de noviembre de 2026" in text
    assert "Registro de dos semanas" in text and "Marque dentro de la casilla" in text
    assert "Bisagra de tobillo sobre un disco" in column_texts(Path(result.stdout.strip()))
    columns = column_texts(Path(result.stdout.strip()))
    assert "45–60 segundos, 1–2 veces · RPE 7+ · cada día" in columns
    assert "3 series de 10–15 · RPE 8–9 · 2 días por semana" in columns
    assert "2 días / sem." in text  # the log's weekly goal
    assert "Pare y llámenos" in text and "o llame al 562-502-1767" in text
    for english in ENGLISH:
        assert not re.search(rf"\b{re.escape(english)}\b", text), english


def test_the_pdf_says_it_is_spanish(fixed_date):
    import io

    from pypdf import PdfReader

    data = render([compose(load_library(), load_clinic(), "Ana Lima", lang="es")])
    reader = PdfReader(io.BytesIO(data))
    assert reader.trailer["/Root"]["/Lang"] == "es-US"
    assert reader.metadata.title == "Plan de ejercicios en casa para Ana Lima"


@pytest.mark.parametrize(
    ("dose", "expected"),
    [
        (Dose((1, 1), (1, 1), None, "", 1), "1 serie de 1 · 1 día por semana"),
        (Dose((2, 2), (12, 12), None, "7", 3), "2 series de 12 · RPE 7 · 3 días por semana"),
        (Dose((1, 2), None, (1, 1), "", 7), "1 segundo, 1–2 veces · cada día"),
        (Dose((3, 3), None, (30, 45), "6–7", 7), "30–45 segundos, 3 veces · RPE 6–7 · cada día"),
        (Dose((1, 1), None, (30, 30), "", 7), "30 segundos, 1 vez · cada día"),
    ],
)
def test_spanish_plurals_come_from_cldr(dose, expected):
    assert load("es").band(dose).replace("\u00a0", " ") == expected  # (no-break spaces keep phrases whole)


def test_english_plurals_are_unchanged():
    band = load("en").band(Dose((1, 1), (1, 1), None, "8", 2))
    assert band.replace("\u00a0", " ") == "1 set of 1 rep · RPE 8 · 2× a week"
    assert "1\u00a0set\u00a0of 1\u00a0rep" in band and "2×\u00a0a\u00a0week" in band, "a number stays with its unit, a frequency whole"


def test_dates_across_a_month_and_year_boundary(fixed_date):
    text = spanish_text("hinge-plate", start=dt.date(2026, 12, 25))
    assert "dic" in text and "ene" in text
    assert "25 26 27 28 29 30 31 1 2 3 4 5 6 7" in text
    assert "Vi Sa Do Lu Ma Mi Ju Vi Sa Do Lu Ma Mi Ju" in text  # weekdays that cannot be confused
    assert load("es").date(dt.date(2027, 1, 1)) == "1 de enero de 2027"
    assert load("en").date(dt.date(2027, 1, 1)) == "1 January 2027"  # the wording's own pattern...
    assert load("en").date(dt.date(2027, 1, 1), "US") == "January 1, 2027"  # ...and as a US clinic writes it


def test_every_exercise_has_spanish_text_that_fits():
    library, clinic = load_library(), load_clinic()
    assert set(library.translations["es"]) == set(library.exercises)
    assert set(library.program_titles["es"]) == set(library.programs)
    for ex_id in library.exercises:
        assert page_count(render([compose(library, clinic, "Ana Lima", [ex_id], lang="es")])) == 1


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_six_of_the_longest_spanish_cards_share_a_page(paper):
    library = load_library()
    clinic = load_clinic()
    width = (PAPER[paper][0] - 72) / 2 - 3
    spanish = [compose(library, clinic, "x", [i], lang="es").exercises[0] for i in library.exercises]
    tallest = sorted(spanish, key=lambda ex: -plan_card(ex, 1, width, words=load("es")).height)[:6]
    data = render([compose(library, clinic, "Ana Lima", [ex.id for ex in tallest], paper=paper, lang="es")])
    assert page_count(data) == 1


def test_an_exercise_without_spanish_text_is_refused_with_its_id(runner, library, tmp_path):
    text = (library / "exercises.es.toml").read_text(encoding="utf-8")
    text = re.sub(r"\n\[bridge\]\n.*?\]\n", "\n", text, flags=re.S)
    (library / "exercises.es.toml").write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["make", "Ana Lima", "bridge", "--lang", "es", "--library", str(library), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert 'exercise "bridge" has no Spanish text' in result.output
    assert not (tmp_path / "out").exists()
    english = runner.invoke(main, ["make", "Ana Lima", "bridge", "--library", str(library), "-o", str(tmp_path / "out")])
    assert english.exit_code == 0  # the English sheet is not affected
    check = runner.invoke(main, ["check", "--library", str(library)])
    assert check.exit_code == 0
    line = next(n for n, row in enumerate((library / "exercises.toml").read_text().splitlines(), 1) if row == "[bridge]")
    assert f'note: {library / "exercises.toml"}:{line}: "bridge" has no Spanish text' in check.output


def test_a_spanish_sheet_needs_the_clinics_spanish_safety_line(runner, library, tmp_path):
    clinic = library / "clinic.toml"
    clinic.write_text(clinic.read_text(encoding="utf-8").split("\n[es]")[0], encoding="utf-8")
    result = runner.invoke(main, ["make", "Ana Lima", "--lang", "es", "--clinic", str(clinic), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "no Spanish safety line" in result.output and "[es]" in result.output


def test_a_clinic_can_print_in_spanish_by_default(runner, library, tmp_path, fixed_date):
    clinic = library / "clinic.toml"
    clinic.write_text('lang = "es"\n' + clinic.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(main, ["make", "Ana Lima", "--clinic", str(clinic), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Registro de dos semanas" in page_texts(Path(result.stdout.strip()))[0]


def test_an_unknown_language_lists_the_ones_there_are(runner, tmp_path):
    result = runner.invoke(main, ["make", "Ana Lima", "--lang", "fr", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert 'no wording for language "fr" (expected one of: en, es)' in result.output


def test_a_roster_row_can_ask_for_spanish(runner, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,lang\nAna Lima,es\nZoë O'Brien,\n", encoding="utf-8")
    result = runner.invoke(main, ["batch", str(roster), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    texts = {p.name: page_texts(p)[0] for p in (tmp_path / "out").glob("*.pdf")}
    assert "Registro de dos semanas" in next(t for n, t in texts.items() if n.startswith("ana"))
    assert "Two-week log" in next(t for n, t in texts.items() if n.startswith("zoe"))


def test_the_email_is_in_the_sheets_language(runner, tmp_path):
    made = runner.invoke(
        main, ["make", "Ana Lima", "--lang", "es", "-o", str(tmp_path), "--email", "ana@example.com", "--eml", str(tmp_path / "ana.eml")]
    )
    assert made.exit_code == 0, made.output
    import email

    message = email.message_from_bytes((tmp_path / "ana.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Su plan de ejercicios en casa de Zenith Performance Physical Therapy"
    assert "traiga la hoja a su próxima visita" in message.get_body(("plain",)).get_content()


def test_the_spanish_wording_file_translates_every_key():
    def keys(table: dict, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in table.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
        return {re.sub(r"\.(one|other)$", "", k) for k in out}

    en = tomllib.loads((WORDING_DIR / "en.toml").read_text(encoding="utf-8"))
    es = tomllib.loads((WORDING_DIR / "es.toml").read_text(encoding="utf-8"))
    assert keys(en) == keys(es)


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_the_log_instructions_fit_beside_its_title_in_every_language(paper):
    """On a full page (six exercises; in Spanish the effort legend moves beside the log) the line
    telling the patient to tick inside the box and bring the sheet back ends within the log."""
    from handouts.render import fonts
    from handouts.render.fonts import BOLD, REGULAR
    from handouts.render.layout import SMALL_PT, plan_page
    from handouts.wording import languages
    from handouts.wording import load as load_wording

    six = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise", "single-leg-heel-raise", "calf-stretch"]
    for lang in languages():
        h = compose(load_library(), load_clinic(), "Ana Lima", six, paper=paper, lang=lang)
        plan = plan_page(h)
        words = load_wording(lang)
        room = plan.grid.width - fonts.width(words("log_title"), BOLD, 13) - 8
        assert fonts.width(words("log_hint"), REGULAR, SMALL_PT) <= room, lang
