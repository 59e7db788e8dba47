"""A physical therapist photographs an exercise on a phone and puts it on the sheet."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from handouts.cli import main
from handouts.library.photos import pixels_for
from handouts.render.layout import THUMB

from .pdfread import page_count
from .pdfread import render as render_png
from .photos import encoded, is_upright, phone_jpeg, scene

SEEDS = ["hinge-heel-raised", "hinge-plate", "hinge-tall-toes", "wall-calf-raise"]


def add(runner, library: Path, exercise_id: str, photo: Path, *extra: str):
    return runner.invoke(main, ["picture", "add", exercise_id, str(photo), "--library", str(library), *extra])


def make(runner, library: Path, out: Path, *args: str) -> Path:
    result = runner.invoke(
        main, ["make", "Ana Lima", *args, "--library", str(library), "--clinic", str(library / "clinic.toml"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


def pdf_images(path: Path) -> list[Image.Image]:
    return [img.image for page in PdfReader(path).pages for img in page.images]


@pytest.fixture
def phone_photo(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_2231.JPG"
    path.write_bytes(phone_jpeg())
    return path


def test_a_sideways_phone_photo_is_stored_upright_square_small_and_stripped(runner, library, phone_photo):
    before = (library / "exercises.toml").read_text().splitlines()
    result = add(runner, library, "wall-calf-raise", phone_photo)
    assert result.exit_code == 0, result.output
    stored = library / "pictures" / "wall-calf-raise.jpg"
    assert Path(result.stdout.strip()) == stored
    with Image.open(stored) as im:
        assert im.size == (pixels_for(THUMB),) * 2  # 1 in at 300 dpi
        assert is_upright(im)
        assert len(im.getexif()) == 0
    data = stored.read_bytes()
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"GPS" not in data
    after = (library / "exercises.toml").read_text().splitlines()
    added = [line for line in after if line not in before]
    assert added == ['picture = "pictures/wall-calf-raise.jpg"']
    assert [line for line in after if line != added[0]] == before  # comments and order untouched
    assert after.index(added[0]) == after.index('title = "Wall-lean calf raise"') + 1


def test_the_handout_shows_the_picture_upright_beside_the_cues(runner, library, phone_photo, tmp_path):
    add(runner, library, "wall-calf-raise", phone_photo)
    path = make(runner, library, tmp_path / "o", "wall-calf-raise", "hinge-plate")
    assert page_count(path) == 1
    (image,) = pdf_images(path)
    assert image.size == (300, 300) and is_upright(image)
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        (placed,) = page.images
        assert placed["width"] == pytest.approx(placed["height"])  # square, not stretched
        cue = next(w for w in page.extract_words() if w["text"] == "Hands")
        title = next(w for w in page.extract_words() if w["text"] == "Wall-lean")
        assert placed["x1"] < cue["x0"] and placed["x1"] < title["x0"]  # cues and title to its right
        assert placed["top"] < cue["top"] < placed["bottom"]
    picture = render_png(path, dpi=150).crop(
        tuple(
            round(v * 150 / 72) + d
            for v, d in zip((placed["x0"], placed["top"], placed["x1"], placed["bottom"]), (2, 2, -2, -2), strict=False)
        )
    )
    assert is_upright(picture)  # as printed, not only as stored


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_the_six_wordiest_exercises_each_with_a_photo_fit_one_page(tmp_path, paper, lang):
    """The cues flow around each photo when that is shorter, and the gaps tighten before a refusal."""
    import dataclasses

    from handouts.compose import compose
    from handouts.library.load import load_clinic, load_library
    from handouts.render.pdf import render

    shipped = load_library()
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (300, 300), (120, 160, 200)).save(photo)
    texts = shipped.translations.get(lang, {})
    wordiest = sorted(shipped.exercises.values(), key=lambda e: -sum(len(c) for c in (texts[e.id].cues if lang != "en" else e.cues)))[:6]
    library = dataclasses.replace(shipped, exercises={k: dataclasses.replace(e, picture=photo) for k, e in shipped.exercises.items()})
    data = render([compose(library, load_clinic(), "Ana Lima", [e.id for e in wordiest], paper=paper, lang=lang)])
    assert page_count(data) == 1
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages[0].images) == 6
        assert all(placed["width"] >= 40 for placed in pdf.pages[0].images)


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_six_exercises_all_with_pictures_fit_one_page(runner, library, phone_photo, tmp_path, paper):
    extra = "".join(
        f'\n[extra-{i}]\ntitle = "Balance drill {i}"\ncues = ["Stand on one leg near a counter.", '
        '"Keep the knee soft.", "Touch down only if you wobble."]\nsets = 3\nseconds = [30, 45]\n'
        'load = "Eyes closed once it is easy"\nrpe = "6-7"\nper_week = 7\n'
        for i in range(2)
    )
    (library / "exercises.toml").write_text((library / "exercises.toml").read_text() + extra)
    ids = SEEDS + ["extra-0", "extra-1"]
    for exercise_id in ids:
        assert add(runner, library, exercise_id, phone_photo).exit_code == 0
    path = make(runner, library, tmp_path / "o", *ids, "--paper", paper)
    assert page_count(path) == 1
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages[0].images) == 6  # one stored image, placed six times
        for placed in pdf.pages[0].images:
            assert placed["width"] >= 40 and placed["x0"] >= 36 and placed["bottom"] <= pdf.pages[0].height - 36


def test_four_photos_stay_small(runner, library, tmp_path):
    for i, exercise_id in enumerate(SEEDS):
        photo = tmp_path / f"p{i}.jpg"
        photo.write_bytes(phone_jpeg(scene(seed=i)))
        assert add(runner, library, exercise_id, photo).exit_code == 0
    path = make(runner, library, tmp_path / "o")
    assert len(pdf_images(path)) == 4
    assert path.stat().st_size < 150_000


def test_a_huge_photo_named_directly_in_the_library_is_downscaled(runner, library, tmp_path):
    (library / "pictures").mkdir()
    (library / "pictures" / "big.jpg").write_bytes(phone_jpeg(scene(4000, 6000)))
    toml = library / "exercises.toml"
    toml.write_text(
        toml.read_text().replace('title = "Ankle hinge on a plate"', 'title = "Ankle hinge on a plate"\npicture = "pictures/big.jpg"')
    )
    path = make(runner, library, tmp_path / "o", "hinge-plate")
    (image,) = pdf_images(path)
    assert max(image.size) <= 300 and is_upright(image)
    assert path.stat().st_size < 80_000


def test_a_truncated_picture_in_the_library_is_refused_not_embedded(runner, library, phone_photo, tmp_path):
    add(runner, library, "hinge-plate", phone_photo)
    stored = library / "pictures" / "hinge-plate.jpg"
    stored.write_bytes(stored.read_bytes()[: len(stored.read_bytes()) // 2])
    result = runner.invoke(main, ["make", "Ana Lima", "hinge-plate", "--library", str(library), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert f"{stored}: image is damaged or truncated" in result.stderr
    assert not (tmp_path / "o").exists() or list((tmp_path / "o").iterdir()) == []


def test_heic_and_png_photos_are_imported(runner, library, tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    heic = tmp_path / "IMG_0001.HEIC"
    heic.write_bytes(encoded(scene(1200, 1600), "HEIF"))
    assert add(runner, library, "hinge-plate", heic).exit_code == 0
    png = tmp_path / "drawing.png"
    png.write_bytes(encoded(scene(800, 1000).convert("RGBA"), "PNG"))
    assert add(runner, library, "hinge-tall-toes", png).exit_code == 0
    for name in ("hinge-plate.jpg", "hinge-tall-toes.jpg"):
        with Image.open(library / "pictures" / name) as im:
            assert im.format == "JPEG" and im.size == (300, 300) and is_upright(im)


def test_crop_keeps_the_chosen_side_of_a_wide_photo(runner, library, tmp_path):
    wide = Image.new("RGB", (3000, 1000), (220, 30, 30))
    wide.paste((30, 160, 30), (1500, 0, 3000, 1000))
    photo = tmp_path / "wide.png"
    photo.write_bytes(encoded(wide, "PNG"))
    for crop, channel in (("left", 0), ("right", 1)):
        assert add(runner, library, "hinge-plate", photo, "--crop", crop).exit_code == 0
        with Image.open(library / "pictures" / "hinge-plate.jpg") as im:
            r, g, b = im.convert("RGB").getpixel((150, 150))
            assert (r, g, b)[channel] > 150


def test_grayscale_handout_has_grey_pictures(runner, library, phone_photo, tmp_path):
    add(runner, library, "hinge-plate", phone_photo)
    path = make(runner, library, tmp_path / "o", "hinge-plate", "--grayscale")
    (image,) = pdf_images(path)
    assert image.mode == "L"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "image not found"),
        (b"definitely not a photo", "not an image Pillow can read"),
        ("truncated", "image is damaged or truncated"),
        ("bomb", "megapixels"),
    ],
)
def test_bad_photos_are_refused_and_the_library_is_untouched(runner, library, tmp_path, content, message):
    photo = tmp_path / "photo.jpg"
    if content == "truncated":
        photo.write_bytes(phone_jpeg()[:5000])
    elif content == "bomb":
        photo.write_bytes(encoded(Image.new("1", (12_000, 12_000)), "PNG"))
        photo = photo.rename(tmp_path / "photo.png")
    elif content is not None:
        photo.write_bytes(content)
    before = (library / "exercises.toml").read_bytes()
    result = add(runner, library, "hinge-plate", photo)
    assert result.exit_code == 1
    assert f"Error: {photo}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.output
    assert (library / "exercises.toml").read_bytes() == before
    assert not (library / "pictures").exists()


def test_unknown_exercise_is_a_usage_error_with_suggestions(runner, library, phone_photo):
    result = add(runner, library, "wall-calf", phone_photo)
    assert result.exit_code == 2
    assert 'unknown exercise "wall-calf" (did you mean "wall-calf-raise"' in result.stderr


def test_remove_takes_the_picture_off_the_sheet(runner, library, phone_photo, tmp_path):
    before = (library / "exercises.toml").read_text()
    add(runner, library, "wall-calf-raise", phone_photo)
    result = runner.invoke(main, ["picture", "remove", "wall-calf-raise", "--library", str(library)])
    assert result.exit_code == 0, result.output
    assert (library / "exercises.toml").read_text() == before
    assert not (library / "pictures" / "wall-calf-raise.jpg").exists()
    path = make(runner, library, tmp_path / "o", "wall-calf-raise")
    assert pdf_images(path) == []


def test_a_clinic_that_prints_in_black_and_white_sets_it_once(runner, library, phone_photo, tmp_path):
    add(runner, library, "hinge-plate", phone_photo)
    clinic = library / "clinic.toml"
    clinic.write_text(clinic.read_text().replace("\n[rpe_legend]", "\ngrayscale = true\n\n[rpe_legend]"))
    path = make(runner, library, tmp_path / "o", "hinge-plate")
    (image,) = pdf_images(path)
    assert image.mode == "L"
    rendered = render_png(path, dpi=50)
    r, g, b = rendered.split()
    assert ImageChops.difference(r, g).getbbox() is None  # not one coloured pixel on the page
    assert ImageChops.difference(g, b).getbbox() is None
