"""The clinic's web page, route by route, with Starlette's test client (a real app, a real history file)."""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from starlette.testclient import TestClient

from handouts.cli import main
from handouts.web.app import create_app
from handouts.web.settings import Settings

from .pdfread import page_texts

PLAN = {
    "patient": "Zoë O'Brien",
    "patient_id": "Z-7",
    "exercises": [
        {"id": "wall-calf-raise", "sets": "4", "amount": "8-10", "unit": "reps", "rpe": "8", "per_week": "2"},
        {"id": "hinge-plate"},
    ],
    "note": "Left side only.",
    "paper": "letter",
    "lang": "en",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(history_file=tmp_path / "history.sqlite3", output=tmp_path / "out")


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url="http://127.0.0.1")


def csrf(client: TestClient) -> dict[str, str]:
    page = client.get("/").text
    return {"X-CSRF-Token": re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1)}


def test_the_page_sends_the_security_headers_and_no_inline_script(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert re.findall(r"<script(?![^>]*\bsrc=)", response.text) == []
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_searching_the_library_by_words_and_region(client):
    found = client.get("/api/exercises", params={"q": "calf", "region": "ankle-foot"}).json()
    assert {"wall-calf-raise", "calf-stretch"} <= {e["id"] for e in found}
    knee = client.get("/api/exercises", params={"region": "knee"}).json()
    assert all("knee" in e["region"] for e in knee) and len(knee) >= 8
    assert client.get("/api/exercises", params={"region": "knees"}).status_code == 400


def test_each_exercise_s_drawing_is_a_small_svg_in_the_clinic_s_colour(client):
    found = client.get("/api/exercises", params={"q": "bridge"}).json()
    bridge = next(e for e in found if e["id"] == "bridge")
    assert bridge["figure"] == "/figures/bridge.svg"
    response = client.get(bridge["figure"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg") and response.text.count("<polyline") > 10
    assert "<script" not in response.text and len(response.content) < 12_000
    import xml.etree.ElementTree as ET

    ET.fromstring(response.text)  # well-formed
    assert client.get("/figures/no-such-exercise.svg").status_code == 404


def test_every_post_needs_the_pages_csrf_token(client):
    assert client.post("/api/preview", json=PLAN).status_code == 403
    assert client.post("/api/preview", json=PLAN, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/preview", json=PLAN, headers=csrf(client)).status_code == 200


def test_the_preview_is_the_real_page_as_an_image(client, settings):
    response = client.post("/api/preview", json=PLAN, headers=csrf(client))
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size[1] / image.size[0] == pytest.approx(11 / 8.5, rel=0.01)
    assert not settings.output.exists()  # a preview writes nothing...
    assert not settings.history_file.exists()  # ...and records nothing


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"patient": ""}, "patient", "the patient name is empty"),
        (
            {"exercises": [{"id": "wall-calf-raise", "sets": "3", "amount": ""}]},
            "dose:wall-calf-raise:amount",
            "Reps for Wall-lean calf raise",
        ),
        (
            {"exercises": [{"id": "bridge", "sets": "3xx", "amount": "10"}]},
            "dose:bridge:sets",
            'Sets for Bridge: "3xx" is not how many sets',
        ),
        ({"exercises": [{"id": "bridge", "sets": "3", "amount": "10", "rpe": "12"}]}, "dose:bridge:rpe", "from 1 to 10, like 7, 7+ or 8-9"),
        ({"exercises": [{"id": "bridge", "per_week": "9"}]}, "dose:bridge:per_week", "Type 1 to 7 (7 is every day)"),
        (
            {"exercises": [{"id": "bridge", "sets": "3", "amount": "15-10"}]},
            "dose:bridge:amount",
            "put the smaller number first, like 10-15",
        ),
        (
            {"exercises": [{"id": e} for e in ("bridge", "clamshell", "quad-set", "heel-slide", "wall-sit", "step-up", "pendulum")]},
            "exercises",
            "7 exercises do not fit",
        ),
        (
            {"exercises": [{"id": "wall-calf-rise"}]},
            "exercise:wall-calf-rise",
            'unknown exercise "wall-calf-rise" (did you mean "wall-calf-raise"',
        ),
        ({"note": "x" * 700}, "note", "the note is 700 characters"),
        ({"lang": "fr"}, "lang", 'no wording for language "fr"'),
        ({"exercises": []}, "exercises", "add at least one exercise"),
    ],
)
def test_a_problem_names_the_field_that_caused_it(client, change, field, words):
    response = client.post("/api/preview", json={**PLAN, **change}, headers=csrf(client))
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert words in response.json()["error"]
    said = response.json()["error"]
    assert "handouts " not in said and "--" not in said and "ID:SETS" not in said  # no command, option or shorthand


def test_download_writes_records_and_serves_the_pdf_without_the_name_in_any_url(client, settings):
    made = client.post("/api/handout", json={**PLAN, "action": "download"}, headers=csrf(client)).json()
    assert made["warning"] == ""
    assert "zoe" not in made["file"].lower() and "brien" not in made["file"].lower()
    pdf = client.get(made["file"], params={"download": "1"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    text = page_texts(pdf.content)[0]
    assert "4 sets of 8–10 reps · RPE 8 · 2× a week" in text and "Left side only." in text
    assert (settings.output / made["name"]).is_file()
    rows = sqlite3.connect(settings.history_file).execute("SELECT patient, patient_id FROM handouts").fetchall()
    assert rows == [("Zoë O'Brien", "Z-7")]
    assert client.get("/files/not-a-token").status_code == 404


def test_patients_are_searched_by_post_and_reissued_from_their_page(client):
    headers = csrf(client)
    client.post("/api/handout", json={**PLAN, "action": "download"}, headers=headers)
    found = client.post("/api/patients", json={"q": "zoe"}, headers=headers).json()
    assert [r["patient"] for r in found] == ["Zoë O'Brien"]
    page = client.get(f"/patients/{found[0]['id']}").text
    assert "Home exercise program given" in page and "Copy" in page
    assert f'href="/?reissue={found[0]["id"]}"' in page
    record = client.get(f"/api/record/{found[0]['id']}").json()
    assert record["exercises"][0] == {
        "id": "wall-calf-raise",
        "title": "Wall-lean calf raise",
        "sets": "4",
        "amount": "8-10",
        "unit": "reps",
        "rpe": "8",
        "per_week": "2",
        "load": "Add weight so the last reps are a real effort",
    }
    for link in re.findall(r'(?:href|src)="([^"]+)"', page):
        assert "zo" not in link.lower() and "brien" not in link.lower()


def test_a_workshop_roster_is_made_with_every_problem_by_row(client):
    roster = "name,exercises\nAna Lima,wall-calf-raise\nBad Row,wall-calf-raise:3x\nKenji Watanabe,\n"
    started = client.post("/api/workshop", files={"roster": ("roster.csv", roster.encode(), "text/csv")}, headers=csrf(client))
    assert started.status_code == 200, started.text
    state = _finished(client, started.json()["job"])
    assert state["written"] == 2 and state["summary"].startswith("2 written")
    assert state["failures"] == [{"row": 3, "message": state["failures"][0]["message"]}]
    assert 'dose "wall-calf-raise:3x"' in state["failures"][0]["message"]
    combined = client.get(state["combined"])
    assert combined.headers["content-type"] == "application/pdf" and len(page_texts(combined.content)) == 2
    with zipfile.ZipFile(io.BytesIO(client.get(state["zip"]).content)) as z:
        assert len([n for n in z.namelist() if n.endswith(".pdf")]) == 2


def test_a_workshop_counts_every_row_and_says_what_it_did_not_use(client):
    roster = (
        "name,program,email\nAna Lima,knee-osteoarthritis,ana@example.com\nBo Chen,knee-osteoarthritsi,\nCy Diaz,,\nDee Eng,,\nEd Fox,,\n"
    )
    started = client.post("/api/workshop", files={"roster": ("roster.csv", roster.encode(), "text/csv")}, headers=csrf(client))
    state = _finished(client, started.json()["job"])
    assert state["total"] == 5 and state["done"] == 5  # five rows: "5 of 5", the refused one counted too
    assert state["written"] == 4 and [f["row"] for f in state["failures"]] == [3]
    assert "handouts" not in state["failures"][0]["message"] and "knee-osteoarthritsi" in state["failures"][0]["message"]
    assert any(n.startswith("The roster's email column was not used") for n in state["notes"])


def test_the_patients_list_has_one_row_per_patient_and_every_handout_can_be_reprinted(client, settings):
    first = client.post("/api/handout", json={**PLAN, "action": "download"}, headers=csrf(client)).json()
    second = client.post("/api/handout", json={**PLAN, "note": "Both sides now.", "action": "download"}, headers=csrf(client)).json()
    other = client.post("/api/handout", json={**PLAN, "patient": "Bo Chen", "patient_id": "", "action": "download"}, headers=csrf(client))
    assert first["name"] != second["name"] and other.status_code == 200
    rows = client.post("/api/patients", json={"q": ""}, headers=csrf(client)).json()
    assert [(r["patient"], r["handouts"]) for r in rows] == [("Bo Chen", 1), ("Zoë O'Brien", 2)]
    with sqlite3.connect(settings.history_file) as db:
        ids = [i for (i,) in db.execute("SELECT id FROM handouts WHERE patient_id = 'Z-7' ORDER BY id")]
    page = client.get(f"/patients/{ids[1]}").text
    for record_id in ids:  # every handout, each with Reprint and Reissue
        assert f'href="/patients/{record_id}/reprint"' in page and f'href="/?reissue={record_id}"' in page
    given = (settings.output / first["name"]).read_bytes()
    assert client.get(f"/patients/{ids[0]}/reprint").content == given  # the very file she was given
    (settings.output / first["name"]).unlink()  # gone from the folder: made again from its record
    again = client.get(f"/patients/{ids[0]}/reprint")
    assert again.headers["content-type"] == "application/pdf"
    text = page_texts(again.content)[0]
    assert "Left side only." in text and "Both sides" not in text
    with sqlite3.connect(settings.history_file) as db:
        assert db.execute("SELECT count(*) FROM handouts").fetchone()[0] == 3  # a reprint is not a new handout


def test_a_workshop_from_an_xlsx_export(client, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "exercises"])
    book.active.append(["Ana Lima", "bridge clamshell"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    started = client.post(
        "/api/workshop", files={"roster": ("roster.xlsx", path.read_bytes(), "application/octet-stream")}, headers=csrf(client)
    )
    state = _finished(client, started.json()["job"])
    assert state["written"] == 1 and not state["failures"]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0 not a roster", "is not a roster"),
        ("roster.xlsx", b"name,exercises\n", "does not look like a .xlsx file"),
        ("huge.csv", b"name\n" + b"x" * (6 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_a_bad_upload_is_a_message(client, name, data, words):
    response = client.post("/api/workshop", files={"roster": (name, data, "text/csv")}, headers=csrf(client))
    assert response.status_code == (413 if name == "huge.csv" else 400)  # too large: refused while it streams
    assert words in response.json()["error"]


def _finished(client: TestClient, job: str) -> dict:
    import time

    for _ in range(200):
        state = client.get(f"/api/workshop/{job}").json()
        if state["finished"]:
            return state
        time.sleep(0.05)
    raise AssertionError("the workshop did not finish")


def test_with_a_password_everything_waits_for_the_login_and_guesses_are_limited(settings):
    settings.password = "correct horse battery"
    client = TestClient(create_app(settings), base_url="http://127.0.0.1", follow_redirects=False)
    assert client.get("/").headers["location"] == "/login"
    assert client.post("/api/preview", json=PLAN).status_code == 401
    login_page = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"password": "correct horse battery"}).status_code == 200  # no CSRF: refused
    for _ in range(5):
        assert client.post("/login", data={"password": "guess", "csrf": token}).status_code == 401
    limited = client.post("/login", data={"password": "correct horse battery", "csrf": token})
    assert limited.status_code == 429 and "Too many tries" in limited.text

    fresh = TestClient(create_app(settings), base_url="http://127.0.0.1", follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', fresh.get("/login").text).group(1)
    signed = fresh.post("/login", data={"password": "correct horse battery", "csrf": token})
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    assert fresh.get("/").status_code == 200


def test_serve_refuses_another_address_without_a_password(runner, monkeypatch):
    monkeypatch.delenv("HANDOUTS_WEB_PASSWORD", raising=False)
    result = runner.invoke(main, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "HANDOUTS_WEB_PASSWORD" in result.output


def test_a_returned_sheet_is_read_from_an_uploaded_photo_and_recorded(client, settings):
    import base64

    import numpy as np

    from . import sheetphotos as sp

    made = client.post("/api/handout", json={**PLAN, "action": "download"}, headers=csrf(client)).json()
    sheet = sp.sheet(client.get(made["file"]).content)
    page, ticks = sp.tick_sheet(sheet, np.random.default_rng(11), pen=2, colour="blue")
    photo = sp.photograph(page, 11)[0]

    assert "Returned sheets" in client.get("/").text
    returned = client.get("/returned").text
    assert 'accept="image/*"' in returned and "capture=" not in returned  # a phone offers its camera and its gallery
    answer = client.post(
        "/api/returned",
        files=[("photos", ("IMG_0001.jpg", photo, "image/jpeg")), ("photos", ("notes.jpg", b"not a picture", "image/jpeg"))],
        headers=csrf(client),
    )
    assert answer.status_code == 200
    first, refused = answer.json()["readings"]
    assert refused == {"photo": "notes.jpg", "refused": "not a photo this can read; use a JPEG or PNG picture of the sheet"}
    assert first["patient"] == "Zoë O'Brien" and first["note"] == "Recorded in the patient's history."
    states = [[s == "ticked" for s in row["states"]] for row in first["rows"]]
    assert states == [[(r, d) in ticks.ticked for d in range(14)] for r in range(2)]
    assert first["rows"][0]["exercise"] == "Wall-lean calf raise" and first["rows"][0]["goal"] == "2× a week"
    image = base64.b64decode(first["image"].removeprefix("data:image/jpeg;base64,"))
    assert image.startswith(b"\xff\xd8") and Image.open(io.BytesIO(image)).width == 1200

    again = client.post("/api/returned", files={"photos": ("IMG_0001.jpg", photo, "image/jpeg")}, headers=csrf(client))
    assert again.json()["readings"][0]["note"] == "This photo was read before; it is recorded once."
    scans = sqlite3.connect(settings.history_file).execute("SELECT count(*) FROM scans").fetchone()[0]
    assert scans == 1
    patient = client.get(f"/patients/{first['record']}").text
    assert f"{first['summary'].split(' planned')[0]} planned sessions done" in patient

    assert client.post("/api/returned", files={}, headers=csrf(client)).json() == {"error": "choose a photo of the returned sheet first"}
    assert client.post("/api/returned", files={"photos": ("a.jpg", photo, "image/jpeg")}).status_code == 403


def test_a_favourite_keeps_its_name_and_doses_and_a_bad_name_is_said_beside_its_field(client, settings):
    saved = client.post("/api/favourites", json={**PLAN, "name": '  Rodilla "fuerte", semana 2 '}, headers=csrf(client))
    assert saved.status_code == 200 and saved.json()["saved"] == 'Rodilla "fuerte", semana 2'
    assert (settings.history_file.parent / "favourites.toml").is_file()
    starts = client.get("/api/starts").json()
    assert [f["name"] for f in starts["favourites"]] == ['Rodilla "fuerte", semana 2']
    assert any(p["id"] == "knee-osteoarthritis" for p in starts["programs"])
    plan = client.post("/api/start", json={"kind": "favourite", "id": 'Rodilla "fuerte", semana 2'}, headers=csrf(client)).json()
    first = plan[0]
    assert (first["id"], first["sets"], first["amount"], first["rpe"], first["per_week"]) == ("wall-calf-raise", "4", "8-10", "8", "2")
    empty = client.post("/api/favourites", json={**PLAN, "name": "  "}, headers=csrf(client))
    assert empty.status_code == 422 and empty.json()["field"] == "favourite" and "give the favourite a name" in empty.json()["error"]


def test_emailing_the_same_handout_twice_asks_first_and_keeps_one_record(tmp_path, library):
    from .smtpserver import smtp_server
    from .test_email import clinic_with

    with smtp_server() as (port, inbox):
        settings = Settings(history_file=tmp_path / "h.sqlite3", output=tmp_path / "out", clinic_file=clinic_with(library, port))
        client = TestClient(create_app(settings), base_url="http://127.0.0.1")
        headers = csrf(client)
        downloaded = client.post("/api/handout", json={**PLAN, "action": "download"}, headers=headers).json()
        sent = client.post("/api/handout", json={**PLAN, "action": "email", "email": "zoe@example.com"}, headers=headers)
        assert sent.status_code == 200 and sent.json()["name"] == downloaded["name"]  # the same file, emailed
        again = client.post("/api/handout", json={**PLAN, "action": "email", "email": "zoe@example.com"}, headers=headers)
        assert again.status_code == 409 and again.json()["confirm"] == "This handout was already emailed to zoe@example.com. Send it again?"
        assert len(inbox.messages) == 1  # not sent a second time without a yes
        confirmed = client.post(
            "/api/handout", json={**PLAN, "action": "email", "email": "zoe@example.com", "confirm_resend": True}, headers=headers
        )
        assert confirmed.status_code == 200 and len(inbox.messages) == 2
        bad = client.post("/api/handout", json={**PLAN, "action": "email", "email": "zoe@@example"}, headers=headers)
        assert bad.status_code == 422 and bad.json()["field"] == "email"
        assert bad.json()["error"] == '"zoe@@example" is not an email address (expected something like name@example.com)'
    with sqlite3.connect(settings.history_file) as db:
        assert db.execute("SELECT count(*) FROM handouts").fetchone()[0] == 1  # Download and two emails: one handout
        assert db.execute("SELECT count(*) FROM emails").fetchone()[0] == 2
    assert len(list(settings.output.glob("*.pdf"))) == 1
