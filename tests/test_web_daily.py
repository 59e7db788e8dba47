"""The page a therapist keeps open all day, in a real Chromium at a phone's, a tablet's and a
desktop's width: nothing to scroll sideways, everything in reach, forgiving search, one handout
per intent, work that survives leaving the page, and no serious accessibility fault (axe-core)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_web_browser import CHROMIUM
from .webserver import chromium, running

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"),
    pytest.mark.xdist_group("test_web_daily"),
]
WIDTHS = {"phone": (390, 844), "tablet": (820, 1180), "desktop": (1366, 900)}
PAGES = ("/", "/patients", "/workshop", "/returned")
SHOTS = Path(__file__).parent.parent / "out" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(CHROMIUM) as b:
        yield b


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("daily")


@pytest.fixture(scope="module")
def site(root: Path) -> Iterator[str]:
    with running(root) as url:
        yield url


def build(page, site: str, name: str = "Ana Lima") -> None:
    page.goto(site + "/")
    page.fill("#patient", name)
    for word in ("bridge", "clamshell"):
        page.fill("#search", word)
        page.press("#search", "Enter")
    page.wait_for_selector('#plan li[data-id="clamshell"]')


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_fits_the_screen_and_everything_is_in_reach(browser, site, width):
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in PAGES:
        page.goto(site + path)
        if path == "/":
            build(page, site)
            page.wait_for_selector("#preview[src]")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= w, (width, path, "scrolls sideways")
        returned = page.locator('nav a[href="/returned"]').bounding_box()
        assert returned is not None and returned["x"] + returned["width"] <= w and returned["y"] < h, (width, path)
        for target in page.locator("button:visible, nav a:visible, input:visible, select:visible").all():
            box = target.bounding_box()
            kind = target.get_attribute("type") or ""
            if box is None or kind in ("checkbox", "file"):
                continue
            assert box["height"] >= 44 - 0.5, (width, path, target.evaluate("e => e.outerHTML.slice(0, 80)"), box)
        page.screenshot(path=str(SHOTS / f"{width}{path.replace('/', '-') or '-'}.png"))
    page.goto(site + "/")
    download = page.locator("#download").bounding_box()
    assert download is not None and download["y"] + download["height"] <= h  # Download is on the screen, not 2,400 px down
    page.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_no_serious_accessibility_fault(browser, site, width):
    from axe_playwright_python.sync_playwright import Axe

    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    for path in PAGES:
        page.goto(site + path)
        if path == "/":
            build(page, site)
            page.fill('#plan li[data-id="bridge"] input.amount', "6-")  # an error on show too
            page.wait_for_selector('#plan li[data-id="bridge"].invalid')
        results = Axe().run(page)
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, (width, path, [(v["id"], v["nodes"][0]["html"][:100]) for v in bad])
    context.close()


def test_search_ranks_forgives_and_says_when_nothing_matches(browser, site):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(site + "/")

    def first_titles(words: str, n: int = 3) -> list[str]:
        page.fill("#search", words)
        page.wait_for_selector(f'#results[data-query="{words}"]', state="attached")
        return page.locator("#results li strong").all_inner_texts()[:n]

    assert all("knee" in t.lower() for t in first_titles("knee", 2))  # knee exercises first, not the ankle ones
    assert any("band" in t.lower() for t in first_titles("theraband"))
    assert "Stand on one leg" in first_titles("balence", 8)  # a typo still finds balance
    assert "Clamshell" in first_titles("ITB")
    assert "Thigh squeeze (quad set)" in first_titles("quads")
    assert first_titles("xyzzy") == []
    assert "No exercise matches “xyzzy”" in page.inner_text("#no-match")
    page.select_option("#equipment", "band")
    top = first_titles("shoulder", 1)
    assert top and all("band" in t.lower() for t in first_titles("shoulder", 9))  # the filter holds
    page.fill("#search", "")
    page.fill("#search", "shoulder")
    page.press("#search", "Enter")  # Enter adds the top result of what is typed now
    page.wait_for_selector("#plan li")
    assert page.inner_text("#plan li .title") == f"1. {top[0]}"
    page.close()


def test_one_plan_makes_one_file_and_one_record_however_often_it_is_clicked(browser, site, root):
    page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    build(page, site, "Bo Chen")
    page.wait_for_selector("#preview[src]")
    with page.expect_download():
        page.dblclick("#download")  # a double click
    page.wait_for_timeout(300)
    with page.context.expect_page() as printed:
        page.click("#print")  # then Print, of the same plan
    printed.value.close()
    page.wait_for_timeout(300)
    made = sorted(p.name for p in (root / "out").glob("bo-chen*.pdf"))
    assert len(made) == 1, made
    with sqlite3.connect(root / "history.sqlite3") as db:
        records = db.execute("SELECT count(*) FROM handouts WHERE patient = 'Bo Chen'").fetchone()[0]
    assert records == 1
    page.fill('#plan li[data-id="bridge"] input.sets', "4")  # a changed plan is a new handout
    page.wait_for_timeout(400)
    with page.expect_download():
        page.click("#download")
    page.wait_for_timeout(300)
    assert len(list((root / "out").glob("bo-chen*.pdf"))) == 2
    page.close()


def test_the_plan_survives_leaving_the_page_and_focus_stays_on_a_moved_exercise(browser, site):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    build(page, site, "Cy Diaz")
    page.fill('#plan li[data-id="bridge"] input.sets', "4")
    page.focus('#plan li[data-id="bridge"] button.down')
    page.keyboard.press("Enter")
    assert page.locator("#plan li").first.get_attribute("data-id") == "clamshell"
    assert page.evaluate("() => document.activeElement.closest('li').dataset.id") == "bridge"  # focus went with it
    page.goto(site + "/patients")
    page.go_back()
    page.wait_for_selector('#plan li[data-id="bridge"]')
    assert page.input_value("#patient") == "Cy Diaz"
    assert page.input_value('#plan li[data-id="bridge"] input.sets') == "4"
    assert [li.get_attribute("data-id") for li in page.locator("#plan li").all()] == ["clamshell", "bridge"]
    assert "Cy Diaz" not in page.url
    page.close()


def test_a_fresh_install_says_the_sample_clinic_is_printed(browser, site):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(site + "/")
    notice = page.inner_text(".notice")
    assert "sample clinic's name and phone number are printed" in notice and "clinic.toml" in notice
    page.close()


def test_a_workshop_counts_every_row_and_a_bad_file_leaves_no_dead_buttons(browser, site, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(site + "/workshop")
    good = tmp_path / "roster.csv"
    good.write_text(
        "name,exercises,email\nAna Lima,bridge,ana@example.com\nBo Chen,bridge:3x\nCy Diaz,\nDee Eng,\nEd Fox,\n", encoding="utf-8"
    )
    page.set_input_files("#roster", str(good))
    page.click("#workshop-form button[type=submit]")
    page.wait_for_selector("#workshop-zip:not([hidden])")
    assert page.inner_text("#workshop-count") == "5 of 5"
    assert "email column was not used" in page.inner_text("#workshop-notes")
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not a roster")
    page.set_input_files("#roster", str(bad))
    page.click("#workshop-form button[type=submit]")
    page.wait_for_selector('.error[data-for="roster"]:not(:empty)')
    assert not page.locator("#workshop-zip").is_visible() and not page.locator("#workshop-combined").is_visible()
    page.close()


def test_a_plan_starts_from_a_program_and_is_saved_as_a_clinic_favourite(browser, site):
    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.goto(site + "/")
    page.fill("#patient", "Dee Eng")
    page.wait_for_selector("#start-from optgroup[label=Programs] option", state="attached")
    page.select_option("#start-from", label="Knee osteoarthritis: strength and motion")
    page.wait_for_selector("#plan li")
    started = [li.get_attribute("data-id") for li in page.locator("#plan li").all()]
    assert len(started) >= 3
    first = started[0]
    page.fill(f'#plan li[data-id="{first}"] input.sets', "4")
    page.fill("#favourite-name", "Knee OA, stronger")
    page.click("#save-favourite")
    page.wait_for_selector("#favourite-status:has-text('Saved')")
    page.goto(site + "/")  # another patient, later
    page.evaluate("() => sessionStorage.clear()")
    page.reload()
    page.wait_for_selector("#start-from optgroup[label='Clinic favourites'] option", state="attached")
    page.on("dialog", lambda d: d.accept())
    page.select_option("#start-from", label="Knee OA, stronger")
    page.wait_for_selector(f'#plan li[data-id="{first}"]')
    assert [li.get_attribute("data-id") for li in page.locator("#plan li").all()] == started
    assert page.input_value(f'#plan li[data-id="{first}"] input.sets') == "4"  # the dose as saved
    page.close()
