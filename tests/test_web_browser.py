"""A therapist who never opens a terminal builds, previews and downloads a handout in a real Chromium.

Debian's chromium is driven by Playwright through `executable_path` (Playwright's own
browser download cannot run here). Set HANDOUTS_REGENERATE=1 to refresh the README's
screenshot from this test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .pdfread import page_texts
from .webserver import chromium, running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).parent.parent / "docs"

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    pytest.mark.xdist_group("test_web_browser"),  # one browser and one server for the whole file
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(CHROMIUM) as b:
        yield b


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running(tmp_path_factory.mktemp("web")) as url:
        yield url


def preview_digest(page) -> str:
    """What the therapist sees in the preview, as pixels."""
    return hashlib.sha256(page.locator("#preview").screenshot()).hexdigest()


def wait_for_new_preview(page, after: int) -> int:
    """Polled from here: the page's CSP forbids the eval a wait_for_function string would need."""
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        version = int(page.get_attribute("#preview", "data-version") or 0)
        if version > after:
            page.wait_for_timeout(150)  # the new image decodes
            return version
        page.wait_for_timeout(50)
    raise AssertionError("the preview did not follow the change")


def test_a_therapist_builds_previews_changes_and_downloads_a_handout(browser, site, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page.goto(site + "/")
    page.fill("#patient", "Zoë O'Brien")
    page.fill("#search", "calf raise")
    page.click('#results button[data-id="wall-calf-raise"]')
    page.fill("#search", "bridge")
    page.wait_for_selector('#results button[data-id="bridge"]')
    page.fill("#search", "single-leg bridge")  # by keyboard: Enter adds the first match
    page.wait_for_selector('#results li:first-child button[data-id="single-leg-bridge"]')
    page.press("#search", "Enter")
    page.fill("#search", "chin tuck")
    page.click('#results button[data-id="chin-tuck"]')
    assert page.locator("#plan li").count() == 3
    version = wait_for_new_preview(page, 0)
    page.wait_for_timeout(400)  # let any preview already on its way land
    version = int(page.get_attribute("#preview", "data-version"))
    before = preview_digest(page)

    sets = page.locator('#plan li[data-id="wall-calf-raise"] input.sets')
    sets.fill("4")
    page.fill('#plan li[data-id="wall-calf-raise"] input.amount', "6-8")
    version = wait_for_new_preview(page, version)
    assert preview_digest(page) != before  # the preview followed the change

    page.fill('#plan li[data-id="wall-calf-raise"] input.amount', "6-")  # a bad dose shows beside its exercise
    page.wait_for_selector('#plan li[data-id="wall-calf-raise"].invalid')
    said = page.inner_text('#plan li[data-id="wall-calf-raise"] .item-error')
    assert said.startswith('Reps for Wall-lean calf raise: "6-" is not repetitions the sheet can print'), said
    amount = page.locator('#plan li[data-id="wall-calf-raise"] input.amount')
    assert amount.get_attribute("aria-invalid") == "true"  # tied to its field for a screen reader
    assert page.locator("#" + amount.get_attribute("aria-describedby").split()[-1]).inner_text() == said
    assert page.locator("#preview-frame.stale").count() == 1  # the page shown is from before the change, and says so
    page.fill('#plan li[data-id="wall-calf-raise"] input.amount', "6-8")
    page.fill("#note", "Left side only, slowly.")
    wait_for_new_preview(page, version)
    page.wait_for_timeout(300)

    shot = tmp_path / "web.png"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(shot), full_page=False)
    if os.environ.get("HANDOUTS_REGENERATE"):
        shutil.copy(shot, DOCS / "web.png")

    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "handout.pdf"
    download.value.save_as(saved)
    text = page_texts(saved)[0]
    assert "4 sets of 6–8 reps · RPE 8–9 · 2× a week" in text
    assert "Single-leg bridge" in text and "Chin tuck" in text and "Left side only, slowly." in text
    assert "Saved as" in page.inner_text("#status")
    page.close()


def test_each_result_and_each_planned_exercise_shows_its_drawing(browser, site):
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(site + "/")
    page.fill("#search", "bridge")
    page.wait_for_selector('#results button[data-id="bridge"]')
    result = page.locator('#results li:has(button[data-id="bridge"]) img.figure')
    result.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('#results img.figure')].every((i) => i.complete)")
    assert result.evaluate("(img) => img.naturalWidth") > 0, "the drawing loaded"
    assert result.get_attribute("alt") == "", "decorative: the title beside it says what it is"
    page.click('#results button[data-id="bridge"]')
    planned = page.locator('#plan li[data-id="bridge"] img.figure')
    planned.wait_for()
    page.wait_for_function("() => document.querySelector('#plan li img.figure').complete")
    box = planned.bounding_box()
    assert box is not None and box["width"] >= 40 and box["height"] >= 40
    assert planned.evaluate("(img) => img.naturalWidth") > 0
    page.close()


def test_reordering_and_removing_follow_on_the_page(browser, site):
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#patient", "Ana Lima")
    for ex in ("bridge", "clamshell", "quad-set"):
        page.fill("#search", ex.replace("-", " "))
        page.click(f'#results button[data-id="{ex}"]')
    page.click('#plan li[data-id="quad-set"] button.up')
    assert [page.get_attribute(f"#plan li:nth-child({i})", "data-id") for i in (1, 2, 3)] == ["bridge", "quad-set", "clamshell"]
    page.click('#plan li[data-id="bridge"] button.remove')
    assert page.locator("#plan li").count() == 2
    page.close()


def test_a_front_desk_runs_a_workshop_roster(browser, site, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,exercises\nAna Lima,bridge\nNo Dose,bridge:3x\nKenji Watanabe,\n", encoding="utf-8")
    page = browser.new_page()
    page.goto(site + "/workshop")
    page.set_input_files("#roster", str(roster))
    page.click("#workshop-form button[type=submit]")
    page.wait_for_selector("#workshop-summary:not(:empty)", timeout=20_000)
    assert page.inner_text("#workshop-summary").startswith("2 written")
    assert "Row 3:" in page.inner_text("#workshop-failures")
    assert page.is_visible("#workshop-combined") and page.is_visible("#workshop-zip")
    page.close()


def test_a_post_without_the_pages_token_is_refused_in_the_browser(browser, site):
    page = browser.new_page()
    page.goto(site + "/")
    status = page.evaluate("""async () => (await fetch('/api/preview', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{}'})).status""")
    assert status == 403
    page.close()


def test_with_a_password_the_page_asks_for_it(browser, tmp_path):
    with running(tmp_path, password="long shared secret") as url:
        page = browser.new_page()
        page.goto(url + "/")
        assert page.url.endswith("/login")
        page.fill("#password", "wrong")
        page.click("button[type=submit]")
        assert "not right" in page.inner_text("main")
        page.fill("#password", "long shared secret")
        page.click("button[type=submit]")
        page.wait_for_selector("#patient")
        page.close()


def test_a_therapist_reads_a_returned_sheet_from_a_phone_photo(browser, tmp_path):
    import numpy as np
    from click.testing import CliRunner

    from handouts.cli import main

    from . import sheetphotos as sp

    with running(tmp_path) as url:
        made = CliRunner().invoke(
            main,
            [
                "make",
                "Ana Lima",
                "hinge-heel-raised",
                "wall-calf-raise:3x10@8/2w",
                "single-leg-balance",
                "--start",
                "2026-11-30",
                "-o",
                str(tmp_path / "ana.pdf"),
                "--history",
                str(tmp_path / "history.sqlite3"),
            ],
        )
        assert made.exit_code == 0, made.output
        sheet = sp.sheet((tmp_path / "ana.pdf").read_bytes())
        page_image, ticks = sp.tick_sheet(sheet, np.random.default_rng(21), pen=2)
        photo = tmp_path / "IMG_3104.jpg"
        photo.write_bytes(sp.photograph(page_image, 21)[0])

        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url + "/")
        page.click("text=Returned sheets")
        page.set_input_files("#photos", str(photo))
        page.click("#returned-form button[type=submit]")
        page.wait_for_selector("#readings article", timeout=20_000)
        assert page.inner_text("#readings h2").startswith("Ana Lima: Mon 30 Nov to Sun 13 Dec 2026")
        ticked = {
            (r, d)
            for r in range(3)
            for d in range(14)
            if page.inner_text(f"#readings tbody tr:nth-child({r + 1}) td:nth-child({d + 3})") == "✓"
        }
        assert ticked == ticks.ticked
        assert "Recorded in the patient's history." in page.inner_text("#readings")
        assert page.locator("#readings img.reading-photo").evaluate("img => img.naturalWidth") == 1200
        shot = tmp_path / "web-returned.png"
        page.screenshot(path=str(shot), full_page=False)
        if os.environ.get("HANDOUTS_REGENERATE"):
            shutil.copy(shot, DOCS / "web-returned.png")
        page.click("#readings a")  # on to the patient's page, where the reading now shows
        assert "planned sessions done" in page.inner_text(".adherence")
        page.close()
