"""The clinic's page attacked as a security tester would, on the real server (`handouts serve`).

Each test starts `handouts serve` in its own process on 127.0.0.1 (loopback: the only
address a test may attack), with its own history and temporary directory, and attacks
it over real sockets: another host name (DNS rebinding), a post from another site, a
chunked upload, a spreadsheet and a picture that unpack to gigabytes, 1,100 half-sent
connections, a stolen cookie after Sign out, a rotating X-Forwarded-For, a broken
character, an absurd record id, and 400 previews and four workshops at once. The server's
memory is read from /proc and its log is read for tracebacks and names.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from .webserver import free_port

# one worker runs this whole file: its servers and their load share the machine with nothing else
pytestmark = pytest.mark.xdist_group("test_web_attacks")

PLAN = {"patient": "Zoë O'Brien", "exercises": [{"id": "wall-calf-raise"}, {"id": "hinge-plate"}], "paper": "letter"}


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    root: Path

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(root: Path, *args: str, password: str = "", secret: str = "") -> Iterator[Server]:
    """`handouts serve` as a clinic starts it, in a process of its own."""
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, HANDOUTS_HISTORY=str(root / "history.sqlite3"), TMPDIR=str(root / "tmp"), HANDOUTS_WEB_PACE_S="1")
    env.pop("HANDOUTS_WEB_PASSWORD", None)
    if password:
        env["HANDOUTS_WEB_PASSWORD"] = password
    if secret:
        env["HANDOUTS_WEB_SECRET"] = secret
    log = root / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "handouts", "serve", "--port", str(port), "-o", str(root / "out"), *args],
            stdout=out,
            stderr=out,
            env=env,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"handouts serve did not start: {log.read_text()}") from None
            time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", port, process, log, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def token(client: httpx.Client) -> dict[str, str]:
    page = client.get("/").text
    return {"X-CSRF-Token": re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1)}  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("attacked"), "--allowed-host", "frontdesk.local", "--max-roster-rows", "50") as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    # idle connections dropped by the client after 1 s, well before the server's 5 s keep-alive timeout:
    # otherwise a request sent on a connection the server is closing that instant fails, as in any browser
    with httpx.Client(base_url=server.url, timeout=60, limits=httpx.Limits(keepalive_expiry=1)) as c:
        yield c


# -- DNS rebinding and other sites ----------------------------------------------------


def test_a_name_the_server_was_not_started_for_gets_nothing(server, client):
    for path in ("/", "/patients", "/api/record/1"):
        response = client.get(path, headers={"Host": "rebind.attacker.example"})
        assert response.status_code == 400
        assert "csrf" not in response.text and "answers only to the address" in response.json()["error"]
    assert client.get("/", headers={"Host": f"frontdesk.local:{server.port}"}).status_code == 200  # --allowed-host
    assert client.get("/", headers={"Host": f"localhost:{server.port}"}).status_code == 200


def test_a_post_from_another_site_is_refused_even_with_the_pages_token(client):
    headers = {**token(client), "Origin": "http://rebind.attacker.example"}
    response = client.post("/api/preview", json=PLAN, headers=headers)
    assert response.status_code == 403
    assert "another site" in response.json()["error"]
    assert (
        client.post("/api/preview", json=PLAN, headers={**token(client), "Origin": client.base_url.scheme + "://127.0.0.1"}).status_code
        == 200
    )


# -- uploads bounded as they stream and by what they unpack to ------------------------------


def test_a_chunked_upload_is_cut_off_while_it_streams(server, client):
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        boundary = b'--x\r\nContent-Disposition: form-data; name="roster"; filename="big.csv"\r\n\r\nname\n'
        yield boundary
        chunk = b"Ana Lima\n" * 100_000
        for _ in range(200):  # 180 MB, if nobody stops it
            sent += len(chunk)
            yield chunk

    headers = {**token(client), "Content-Type": "multipart/form-data; boundary=x"}
    try:
        response = client.post("/api/workshop", content=body(), headers=headers)
        assert response.status_code == 413
        assert "larger than 5 MB" in response.json()["error"]
    except httpx.TransportError:
        pass  # the server closed the connection on the rest of the body: refused all the same
    spilled = sum(p.stat().st_size for p in (server.root / "tmp").rglob("*") if p.is_file())
    assert spilled < 8 * 1024 * 1024, spilled  # never 180 MB in the temporary directory
    assert sent < 180 * 1024 * 1024 or spilled < 8 * 1024 * 1024


def _bomb_xlsx() -> bytes:
    """A valid-looking spreadsheet of a few hundred KB that unpacks to 400 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<worksheet><dimension ref="A1:B2"/><sheetData>')
            block = b"<row><c><v>1</v></c></row>" * 40_000
            for _ in range(400 * 1024 * 1024 // len(block)):
                f.write(block)
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _bomb_png(side: int = 60_000) -> bytes:
    """A tiny PNG whose header claims side x side pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\xff" * side * 3
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(50)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def _watch_memory(server: Server, stop: threading.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak.append(server.rss_mb())
        time.sleep(0.05)


def test_a_spreadsheet_or_a_picture_that_unpacks_to_gigabytes_is_refused_before_it_is_opened(server, client):
    idle = server.rss_mb()
    peak: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_memory, args=(server, stop, peak), daemon=True)
    watcher.start()
    try:
        bomb = _bomb_xlsx()
        assert len(bomb) < 5 * 1024 * 1024
        jobs = []
        for _ in range(3):  # three at once, as the attack did
            r = client.post("/api/workshop", files={"roster": ("list.xlsx", bomb)}, headers=token(client))
            assert r.status_code == 200
            jobs.append(r.json()["job"])
        for job in jobs:
            state = _finished(client, job)
            assert "unpacks to" in state["error"] and "far more than a roster" in state["error"]
            assert state["written"] == 0
        photos = [("photos", ("huge.png", _bomb_png(), "image/png")), ("photos", ("empty.jpg", b"", "image/jpeg"))]
        r = client.post("/api/returned", files=photos, headers=token(client))
        if r.status_code == 400 and "scan extra" in r.json()["error"]:
            pytest.skip("the scan extra is not installed")
        assert r.status_code == 200
        readings = r.json()["readings"]
        assert [x["photo"] for x in readings] == ["huge.png", "empty.jpg"]  # one refusal never costs the other photo
        assert "megapixels" in readings[0]["refused"] and "empty" in readings[1]["refused"]
    finally:
        stop.set()
        watcher.join()
    assert max(peak) - idle < 500, (idle, max(peak))
    assert server.rss_mb() - idle < 200
    assert "Traceback" not in server.log_text()


def test_a_roster_longer_than_the_page_allows_is_refused_with_the_limit(client):
    roster = "name,exercises\n" + "".join(f"Patient {i},bridge\n" for i in range(51))
    r = client.post("/api/workshop", files={"roster": ("big.csv", roster.encode())}, headers=token(client))
    state = _finished(client, r.json()["job"])
    assert "51 rows" in state["error"] and "at most 50" in state["error"] and state["written"] == 0


# -- slow and half-sent requests --------------------------------------------------------------


def test_eleven_hundred_half_sent_connections_do_not_stop_the_page(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2400:
        pytest.skip(f"this machine allows only {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2400), hard))
    sockets = []
    try:
        for _ in range(1100):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never the rest
            sockets.append(s)
        started = time.monotonic()
        response = httpx.get(server.url + "/", timeout=10)
        assert response.status_code == 200 and time.monotonic() - started < 5
        # the server closes the half-sent ones on its own, within a few of its looks
        time.sleep(3.5)
        closed = 0
        for s in sockets:
            s.setblocking(False)
            try:
                closed += s.recv(1) == b""
            except (BlockingIOError, ConnectionResetError):
                closed += 0 if BlockingIOError else 1
        assert closed >= 1000, closed
    finally:
        for s in sockets:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    log = server.log_text()
    assert "Traceback" not in log and log.count("Too many open files") <= 1


# -- sessions -------------------------------------------------------------------------------


def _signed_in(server: Server, password: str) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=30)
    page = c.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"csrf": csrf, "password": password}, headers={"Origin": server.url})
    assert r.status_code == 303, r.text
    return c


def test_sign_out_and_a_new_password_end_the_session_whatever_the_cookie_says(tmp_path):
    secret = "a fixed signing secret for this clinic"
    with serve(tmp_path / "a", password="first long password", secret=secret) as server:
        c = _signed_in(server, "first long password")
        made = c.post("/api/handout", json=PLAN, headers=token(c))
        assert made.status_code == 200
        assert c.get("/api/record/1").status_code == 200
        stolen = dict(c.cookies)
        c.post("/logout", headers=token(c))
        with httpx.Client(base_url=server.url, cookies=stolen) as thief:
            assert thief.get("/api/record/1").status_code == 401
        again = _signed_in(server, "first long password")
        kept = dict(again.cookies)
        assert again.get("/api/record/1").status_code == 200
    with serve(tmp_path / "a", password="a new long password", secret=secret) as server:
        with httpx.Client(base_url=server.url, cookies=kept) as old:
            assert old.get("/api/record/1").status_code == 401


def test_a_rotating_forwarded_address_does_not_dodge_the_login_limit(tmp_path):
    with serve(tmp_path, password="correct horse battery") as server, httpx.Client(base_url=server.url) as c:
        codes = []
        for n in range(7):
            page = c.get("/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            r = c.post("/login", data={"csrf": csrf, "password": f"guess {n}"}, headers={"X-Forwarded-For": f"10.9.8.{n}"})
            codes.append(r.status_code)
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]


def test_behind_the_clinics_https_proxy_the_cookie_is_secure(tmp_path):
    with serve(tmp_path, "--proxy") as server:
        plain = httpx.get(server.url + "/")
        assert "secure" not in plain.headers["set-cookie"].lower()
        proxied = httpx.get(server.url + "/", headers={"X-Forwarded-Proto": "https"})
        assert "secure" in proxied.headers["set-cookie"].lower()


# -- errors in words, names never in the log ----------------------------------------------------


def test_a_broken_character_or_an_absurd_record_id_is_a_message_never_a_500(server, client):
    body = json.dumps({**PLAN, "patient": "Ana\ud800 Lima"}).encode()  # a lone surrogate, as a broken client sends
    r = client.post("/api/preview", content=body, headers={**token(client), "Content-Type": "application/json"})
    assert r.status_code == 422
    assert "broken character" in r.json()["error"] and r.json()["field"] == "patient"
    assert client.get("/api/record/99999999999999999999999999").status_code == 404
    assert client.get("/patients/99999999999999999999999999").status_code in (303, 200)
    log = server.log_text()
    assert "Ana" not in log and "Traceback" not in log


# -- drawing under load ------------------------------------------------------------------------


def _finished(client: httpx.Client, job: str) -> dict[str, object]:
    for _ in range(1200):
        state: dict[str, object] = client.get(f"/api/workshop/{job}").json()
        if state["finished"]:
            return state
        time.sleep(0.05)
    raise AssertionError("the workshop did not finish")


def test_four_hundred_previews_and_four_workshops_at_once_all_come_out_right(server, client):
    rows = "name,exercises\n" + "".join(f"Pat {i:02d} Núñez,bridge wall-calf-raise clamshell\n" for i in range(30))
    jobs = []
    for n in range(4):
        r = client.post("/api/workshop", files={"roster": (f"w{n}.csv", rows.encode())}, headers=token(client))
        jobs.append(r.json()["job"])
    headers = token(client)

    def preview(i: int) -> int:
        plan = {**PLAN, "patient": f"Patient {i}", "exercises": [{"id": "wall-calf-raise", "sets": str(1 + i % 4), "amount": "10"}]}
        return client.post("/api/preview", json=plan, headers=headers).status_code

    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(preview, range(400)))
    assert codes.count(200) == 400, {c: codes.count(c) for c in set(codes)}
    for job in jobs:
        state = _finished(client, job)
        assert state["error"] == "" and state["written"] == 30 and state["failures"] == [], state
    with sqlite3.connect(server.root / "history.sqlite3") as db:
        recorded = db.execute("SELECT count(*) FROM handouts WHERE patient LIKE 'Pat %'").fetchone()[0]
    assert recorded >= 120
    assert "Traceback" not in server.log_text()
