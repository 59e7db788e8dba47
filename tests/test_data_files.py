"""A clinic edits its own exercise library and clinic file: every mistake is found, with its line."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from handouts.cli import main

from .pdfread import page_count, page_texts


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def make_with(runner, library: Path, out: Path, *ids: str):
    return runner.invoke(
        main, ["make", "Ana Lima", *ids, "--library", str(library), "--clinic", str(library / "clinic.toml"), "-o", str(out)]
    )


def assert_refused(result, out: Path, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_toml_syntax_error_names_file_and_line(runner, library, tmp_path):
    ex = library / "exercises.toml"
    edit(ex, 'rpe = "8-9"', 'rpe = "8-9')
    result = make_with(runner, library, tmp_path / "o")
    line = line_of(ex, 'rpe = "8-9')
    assert_refused(result, tmp_path / "o", f"{ex}:{line}: TOML syntax error")


def test_unknown_key_suggests_the_right_one(runner, library, tmp_path):
    ex = library / "exercises.toml"
    edit(ex, 'rpe = "8-9"', 'rpm = "8-9"')
    result = make_with(runner, library, tmp_path / "o")
    assert_refused(result, tmp_path / "o", f'{ex}:{line_of(ex, "rpm =")}: unknown key "rpm" (did you mean "rpe"?)')


def test_missing_field_and_wrong_type_are_reported_together(runner, library, tmp_path):
    ex = library / "exercises.toml"
    edit(ex, "sets = 3\n", "")
    edit(ex, "per_week = 2", 'per_week = "twice"')
    result = runner.invoke(main, ["check", "--library", str(library), "--clinic", str(library / "clinic.toml")])
    assert result.exit_code == 1
    assert f'{ex}:{line_of(ex, "[wall-calf-raise]")}: missing "sets"' in result.stderr
    line = line_of(ex, 'per_week = "twice"')
    assert f"{ex}:{line}: \"per_week\" must be a whole number of days from 1 to 7, got 'twice'" in result.stderr
    assert result.stderr.strip().endswith("2 problems found")


def test_duplicate_exercise_id_is_caught(runner, library, tmp_path):
    ex = library / "exercises.toml"
    ex.write_text(ex.read_text() + '\n[hinge-plate]\ntitle = "Again"\n')
    result = make_with(runner, library, tmp_path / "o")
    assert_refused(result, tmp_path / "o", f"{ex}:", "hinge-plate")


def test_program_naming_a_missing_exercise(runner, library, tmp_path):
    programs = library / "programs.toml"
    edit(programs, '"hinge-tall-toes"]', '"hinge-tall-toe"]')
    result = make_with(runner, library, tmp_path / "o")
    line = line_of(programs, 'hinge-tall-toe"]')
    assert_refused(
        result,
        tmp_path / "o",
        f'{programs}:{line}: program "ankle-hinges" names unknown exercise "hinge-tall-toe" (did you mean "hinge-tall-toes"',
    )


def test_check_reports_every_problem_in_every_file_at_once(runner, library):
    ex, programs, clinic = library / "exercises.toml", library / "programs.toml", library / "clinic.toml"
    edit(ex, 'rpe = "7+"', 'rpe = "eleven"')
    edit(ex, "per_week = 2", "per_week = 9")
    edit(programs, 'default = "ankle-loading"', 'default = "ankle-load"')
    edit(clinic, 'brand_color = "#1d4e6e"', 'brand_color = "#ffee00"')
    edit(clinic, 'phone = "562-502-1767"', 'phone = "call us"')
    result = runner.invoke(main, ["check", "--library", str(library), "--clinic", str(clinic)])
    assert result.exit_code == 1
    err = result.stderr
    line = line_of(ex, 'rpe = "eleven"')
    assert f"{ex}:{line}: \"rpe\" = 'eleven' is not an effort level" in err
    assert f'{ex}:{line_of(ex, "per_week = 9")}: "per_week" must be a whole number of days from 1 to 7, got 9' in err
    assert f"{programs}:1" in err or f"{programs}:{line_of(programs, 'default =')}" in err
    assert 'default program "ankle-load" is not defined (did you mean "ankle-loading"?)' in err
    assert f'{clinic}:{line_of(clinic, "brand_color")}: "brand_color" = "#ffee00" is too light' in err
    assert f'{clinic}:{line_of(clinic, "phone =")}: "phone" = "call us" has too few digits' in err
    assert err.strip().endswith("5 problems found")


def test_check_passes_on_the_shipped_files(runner):
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 75 exercises, 14 programs")


def test_long_titles_and_cues_wrap_inside_the_card(runner, library, tmp_path):
    ex = library / "exercises.toml"
    long_cue = "Keep breathing slowly and steadily through the whole movement, " * 2
    edit(ex, '"Then add weight and stay in the range below.",', f'"{long_cue.strip()}",')
    edit(ex, 'title = "Wall-lean calf raise"', 'title = "Wall-lean calf raise with a slow three-second lowering phase and a pause"')
    result = make_with(runner, library, tmp_path / "o", "wall-calf-raise", "hinge-plate")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert page_count(path) == 1
    text = " ".join(page_texts(path)[0].split())
    assert "Keep breathing slowly and steadily through the whole movement" in text
    assert "slow three-second lowering phase and a pause" in text


def test_too_much_text_for_one_page_names_the_exercise(runner, library, tmp_path):
    ex = library / "exercises.toml"
    wordy = ", ".join(
        ['"' + "Hold the position and breathe while you keep the knee over your toes and slowly count " * 2 + "then do it again" + '"'] * 4
    )
    edit(ex, 'cues = [\n    "Hands on a wall, lean in, rise onto your toes.",', f"cues = [{wordy},\n")
    edit(ex, '    "First weeks: repeat until you cannot do one more.",\n    "Then add weight and stay in the range below.",\n]', "]")
    edit(ex, 'cues = [\n    "Split stance, weight on the front leg, heel up.",', f"cues = [{wordy},\n")
    edit(ex, '    "Hinge down and up; the ankle stays frozen.",\n    "Press the ball of the foot into the floor.",\n]', "]")
    (library / "programs.toml").write_text('default = "all"\n[all]\ntitle = "All"\nexercises = ["wall-calf-raise"]\n')
    long_title = "Wall-lean calf raise, slow lowering, long pause, wall-lean calf raise again"
    edit(ex, 'title = "Wall-lean calf raise"', f'title = "{long_title}"')
    edit(
        ex,
        'load = "Add weight so the last reps are a real effort"',
        'load = "' + "Add weight so the last reps are a real effort, " * 2 + '"',
    )
    six = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]
    result = make_with(runner, library, tmp_path / "o", *six)
    assert_refused(result, tmp_path / "o", "4 exercises do not fit on one letter page: together they run about")
    assert 'The longest is "wall-calf-raise"' in result.stderr
    figures = re.findall(r"\d+", result.stderr.split("together")[1])
    assert len(set(figures)) == len(figures)  # never two equal figures that contradict each other
    alone = make_with(runner, library, tmp_path / "o", "wall-calf-raise")
    assert alone.exit_code == 0  # it still prints when it has the page to itself


# Logos


def write_logo(library: Path, name: str, data: bytes) -> Path:
    clinic = library / "clinic.toml"
    edit(clinic, '# logo = "logo.png"', f'logo = "{name}"')
    (library / name).write_bytes(data)
    return clinic


def png(width: int, height: int, color: str = "#1d4e6e") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def test_missing_logo(runner, library, tmp_path):
    clinic = library / "clinic.toml"
    edit(clinic, '# logo = "logo.png"', 'logo = "nowhere.png"')
    result = make_with(runner, library, tmp_path / "o")
    assert_refused(result, tmp_path / "o", f'{clinic}:{line_of(clinic, "logo =")}: logo "nowhere.png" not found')


def test_corrupt_and_truncated_logos(runner, library, tmp_path):
    clinic = write_logo(library, "logo.png", b"this is not a picture")
    result = make_with(runner, library, tmp_path / "o")
    assert_refused(result, tmp_path / "o", f'{clinic}:{line_of(clinic, "logo =")}: logo "logo.png": not an image')
    (library / "logo.png").write_bytes(png(400, 400)[:200])
    result = make_with(runner, library, tmp_path / "o")
    assert_refused(result, tmp_path / "o", 'logo "logo.png": image is damaged or truncated')


def test_decompression_bomb_logo_is_refused(runner, library, tmp_path):
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # tiny file, 144 megapixels
    clinic = write_logo(library, "logo.png", bomb.getvalue())
    result = make_with(runner, library, tmp_path / "o")
    assert_refused(result, tmp_path / "o", f'{clinic}:{line_of(clinic, "logo =")}: logo "logo.png": image is 12000x12000 pixels')


def test_huge_logo_is_downscaled_not_embedded_whole(runner, library, tmp_path):
    write_logo(library, "logo.png", png(8000, 8000))
    result = make_with(runner, library, tmp_path / "o")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    images = [img for page in PdfReader(path).pages for img in page.images]
    assert len(images) == 1
    width, height = images[0].image.size
    assert width <= 200 and height <= 200  # 44 pt at 300 dpi is 183 px
    assert path.stat().st_size < 60_000


def test_init_gives_a_clinic_its_own_editable_copy(runner, tmp_path, monkeypatch):
    mine = tmp_path / "clinic"
    result = runner.invoke(main, ["init", str(mine)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in mine.iterdir()) == ["clinic.toml", "exercises.es.toml", "exercises.toml", "figures.toml", "programs.toml"]
    edit(mine / "clinic.toml", 'name = "Zenith Performance Physical Therapy"', 'name = "Harbor Street Physio"')
    monkeypatch.setenv("HANDOUTS_LIBRARY", str(mine))
    monkeypatch.setenv("HANDOUTS_CLINIC", str(mine / "clinic.toml"))
    made = runner.invoke(main, ["make", "Ana Lima", "-o", str(tmp_path / "o")])
    assert "Harbor Street Physio" in page_texts(Path(made.stdout.strip()))[0]
    again = runner.invoke(main, ["init", str(mine)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert "Harbor Street Physio" in (mine / "clinic.toml").read_text()  # not overwritten


def test_pictures_are_never_added_inside_the_installed_package(runner, library, tmp_path):
    installed = tmp_path / "lib" / "python3.11" / "site-packages" / "handouts" / "templates"
    installed.parent.mkdir(parents=True)
    library.rename(installed)
    photo = tmp_path / "p.png"
    Image.new("RGB", (400, 400), "white").save(photo)
    result = runner.invoke(main, ["picture", "add", "hinge-plate", str(photo), "--library", str(installed)])
    assert result.exit_code == 2
    assert "handouts init DIR" in result.stderr
    assert not (installed / "pictures").exists()


def test_a_wide_wordmark_logo_keeps_its_shape_and_pushes_the_name_aside(runner, library, tmp_path):
    import pdfplumber

    write_logo(library, "wordmark.png", png(1200, 300))
    result = make_with(runner, library, tmp_path / "o")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        (logo,) = page.images
        assert logo["width"] == pytest.approx(132, abs=1) and logo["height"] == pytest.approx(33, abs=1)
        name = next(w for w in page.extract_words() if w["text"] == "Zenith")
        assert name["x0"] > logo["x1"]  # the clinic name starts right of the logo, not over it


def test_check_reports_syntax_errors_in_several_files_and_the_clinics_fields_in_one_run(runner, library):
    programs, spanish, clinic = library / "programs.toml", library / "exercises.es.toml", library / "clinic.toml"
    programs.write_text(programs.read_text() + "\nthis is [not toml\n")
    spanish.write_text(spanish.read_text() + "\n[broken\n")
    edit(clinic, 'phone = "562-502-1767"', "phone = 42")
    edit(clinic, 'brand_color = "#1d4e6e"', 'brand_color = "blue"')
    result = runner.invoke(main, ["check", "--library", str(library), "--clinic", str(clinic)])
    assert result.exit_code == 1
    err = result.stderr
    assert f"{programs}:" in err and "TOML syntax error" in err
    assert f"{spanish}:" in err  # not only after programs.toml is fixed
    assert f'{clinic}:{line_of(clinic, "phone =")}: "phone" must be text in quotes' in err
    assert f'{clinic}:{line_of(clinic, "brand_color")}: "brand_color" = "blue" is not a colour' in err
    assert err.strip().endswith("4 problems found")
