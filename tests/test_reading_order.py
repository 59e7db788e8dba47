"""A patient reads the page in order: the legend down its columns, what RPE means on every
page that prints it, phrases that never break at a line's end, log rows named as their cards,
and the date written as the clinic's country writes it."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pdfplumber
import pytest

from handouts.cli import main
from handouts.compose import compose
from handouts.library.load import load_clinic, load_library
from handouts.render import layout
from handouts.render.pdf import render

from .pdfread import page_texts

LIBRARY = load_library()
CLINIC = load_clinic()
FULL = ["wall-calf-raise", "hinge-tall-toes", "band-row", "hip-flexor-stretch", "hinge-heel-raised", "bird-dog"]


def legend_levels(pdf: bytes) -> list[tuple[float, float, str]]:
    """Each "RPE n" label of the legend with its place: (x, top, level)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words = doc.pages[0].extract_words(keep_blank_chars=False)
    found = []
    for a, b in itertools.pairwise(words):
        if a["text"] == "RPE" and re.fullmatch(r"\d+\+?", b["text"]) and abs(a["top"] - b["top"]) < 1:
            found.append((round(a["x0"]), a["top"], b["text"]))
    return found


@pytest.mark.parametrize(
    "ids", [["wall-calf-raise", "hinge-plate"], ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]]
)
def test_the_legend_reads_in_order_down_each_column(fixed_date, ids):
    pdf = render([compose(LIBRARY, CLINIC, "Ana Lima", ids)])
    labels = [(x, top, level) for x, top, level in legend_levels(pdf) if top > 500]  # the legend, not the cards' dose bands
    columns: dict[int, list[tuple[float, str]]] = {}
    for x, top, level in labels:
        columns.setdefault(x, []).append((top, level))
    read = [level for x in sorted(columns) for _, level in sorted(columns[x])]
    plain = [int(v) for v in read if not v.endswith("+")]
    assert plain == sorted(plain) and len(plain) >= 4, read
    assert all(v.endswith("+") for v in read[len(plain) :]), "the 7+ note comes after the levels"


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("count", [2, 4, 6])
def test_every_page_that_prints_rpe_says_what_it_is_and_its_scale(fixed_date, lang, count):
    from handouts.wording import load

    words = load(lang)
    handout = compose(LIBRARY, CLINIC, "Ana Lima", FULL[:count], lang=lang)
    beside = bool(layout.plan_page(handout).grid.side_legend)
    said = words("side_legend_title") if beside else words("legend_hint")
    text = " ".join(page_texts(render([handout]))[0].split())
    assert all(piece in text for piece in said.split()), (beside, said)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_dose_never_breaks_inside_a_phrase(lang):
    """At the narrowest card width, no line of any shipped exercise's dose ends on a number, a
    unit's article or preposition, or in the middle of "2× a week"."""
    words = __import__("handouts.wording", fromlist=["load"]).load(lang)
    width = (layout.PAPER["a4"][0] - 2 * layout.MARGIN - layout.CARD_GAP) / 2
    dangling = re.compile(r"(\d|–|×|\bof|\ba|\bde|\bpor|\bcada|\bdías?|\bsets?|\bseries?)$")
    for ex in LIBRARY.exercises.values():
        card = layout.plan_card(ex, 6, width, words=words)
        bold = [line for font, line in card.dose if font == layout.BOLD]
        for line in bold[:-1]:  # a break after a separator is where a break belongs
            assert line.rstrip().endswith("·") or not dangling.search(line.replace("\u00a0", " ")), (ex.id, bold)


def test_every_log_row_is_named_with_words_of_its_card_s_title():
    for lang in ("en", "es"):
        for ex in LIBRARY.exercises.values():
            text = LIBRARY.translations[lang][ex.id] if lang != "en" else ex
            title = {w.casefold() for w in re.findall(r"[^\W_]+", text.title)}
            short = text.short or text.title
            assert all(w.casefold() in title for w in re.findall(r"[^\W_]+", short)), (lang, ex.id, short)


def test_check_refuses_a_log_name_that_is_not_the_card_s(runner, library):
    path = library / "exercises.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('title = "Standing knee bend"\n', 'title = "Standing knee bend"\nshort = "Hamstring curl"\n')
    path.write_text(text, encoding="utf-8")
    line = text[: text.index('short = "Hamstring curl"')].count("\n") + 1
    result = runner.invoke(main, ["check", "--library", str(library)])
    assert result.exit_code == 1
    assert f'{path}:{line}: "short" = "Hamstring curl" has words the title "Standing knee bend" does not (Hamstring, curl)' in result.output


@pytest.mark.parametrize(
    ("locale", "lang", "given"),
    [
        ("en-US", "en", "Given November 25, 2026"),
        ("en-GB", "en", "Given 25 November 2026"),
        ("es-ES", "es", "Entregado el 25 de noviembre de 2026"),
        ("en-US", "es", "Entregado el 25 de noviembre de 2026"),
        ("en-AU", "en", "Given 25 November 2026"),
    ],
)
def test_the_date_is_written_as_the_clinic_s_country_writes_it(runner, library, tmp_path, fixed_date, locale, lang, given):
    clinic = library / "clinic.toml"
    clinic.write_text(clinic.read_text(encoding="utf-8").replace('locale = "en-US"', f'locale = "{locale}"'), encoding="utf-8")
    out = tmp_path / "out.pdf"
    result = runner.invoke(main, ["make", "Ana Lima", "--clinic", str(clinic), "--lang", lang, "-o", str(out), "--no-history"])
    assert result.exit_code == 0, result.output
    assert given in page_texts(out)[0]


def test_a_locale_the_program_cannot_write_dates_for_is_named_with_its_line(runner, library):
    clinic = library / "clinic.toml"
    text = clinic.read_text(encoding="utf-8").replace('locale = "en-US"', 'locale = "english"')
    clinic.write_text(text, encoding="utf-8")
    line = text[: text.index('locale = "english"')].count("\n") + 1
    result = runner.invoke(main, ["check", "--clinic", str(clinic)])
    assert result.exit_code == 1
    assert f"{clinic}:{line}: \"locale\" = 'english' is not one I can write dates for" in result.output


def test_the_shipped_clinic_file_names_its_locale():
    assert 'locale = "en-US"' in (Path(CLINIC.source).read_text(encoding="utf-8") if CLINIC.source else "")
    assert CLINIC.region == "US"


# -- room to write: a short note always fits, and a page without one keeps ruled lines ----------

TWO_LINES = (
    "Left side only for the first week, then both sides. Stop at the first sharp pain and call us; bring this sheet to your next visit."
)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_two_line_note_fits_beside_the_six_wordiest_exercises(fixed_date, lang, paper):
    import dataclasses

    handout = dataclasses.replace(compose(LIBRARY, CLINIC, "Ana Lima", FULL, paper=paper, lang=lang), note=TWO_LINES)
    plan = layout.plan_page(handout)
    assert len(plan.note_lines or []) >= 2
    pdf = render([handout])
    assert " ".join(TWO_LINES.split()) in " ".join(page_texts(pdf)[0].split())
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        assert max(c["x1"] for c in page.chars) <= page.width - layout.MARGIN + 0.01, "nothing past the right margin"


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_default_sheet_without_a_note_keeps_ruled_lines_to_write_on(fixed_date, paper):
    handout = compose(LIBRARY, CLINIC, "Ana Lima", paper=paper)
    plan = layout.plan_page(handout)
    assert plan.notes_h >= layout.NOTES_MIN_H
    assert plan.type.body >= layout.LINES_LEAST_BODY
    with pdfplumber.open(io.BytesIO(render([handout]))) as doc:
        ruled = [ln for ln in doc.pages[0].lines if abs(ln["top"] - ln["bottom"]) < 0.01 and ln["x1"] - ln["x0"] > 400]
    assert len(ruled) >= 2 + 4, "two ruled lines at least, besides the log's own"
