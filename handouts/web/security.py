"""What keeps patient data on the clinic's page: hosts, headers, login, sessions, CSRF tokens.

Loopback needs no password (only this computer can reach it); any other address needs
HANDOUTS_WEB_PASSWORD. Only the host names the server was started for are served, so a
web page elsewhere cannot reach it by DNS rebinding (its name pointed at 127.0.0.1), and
a POST from another origin is refused. Every POST carries the session's CSRF token, so
another site open in the same browser cannot make a handout or read one. Sessions live
on the server: Sign out, a new password or a restart ends them, whatever a copied cookie
says.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handouts.mail import is_loopback

__all__ = ["is_loopback"]  # `serve` asks here whether an address needs the password

PASSWORD_ENV = "HANDOUTS_WEB_PASSWORD"
LOGIN_TRIES = 5  # failed logins allowed per address...
LOGIN_WINDOW_S = 300  # ...in this many seconds
SESSION_S = 8 * 3600  # a working day, then sign in again
OPEN_PATHS = ("/login", "/static/")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def allowed_hosts(host: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The names a browser may use to reach this server: loopback, the address it listens on, and any named."""
    names = {*LOOPBACK_NAMES, host.strip("[]").lower(), *(h.strip().strip("[]").lower() for h in extra if h.strip())}
    return frozenset(n for n in names if n and n not in ("0.0.0.0", "::"))


def _host_name(value: str) -> str:
    """'Example.org:8040' -> 'example.org'; '[::1]:8040' -> '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostGuard:
    """Only the host names the server was started for; a state-changing request only from its own pages."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if _host_name(headers.get("host", "")) not in self.hosts:
            response: Response = JSONResponse(
                {"error": "this page answers only to the address it was started on; use that address"}, status_code=400
            )
            await response(scope, receive, send)
            return
        origin = headers.get("origin")
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and origin is not None:
            origin_host = _host_name(origin.split("://", 1)[-1].split("/", 1)[0])
            if origin == "null" or origin_host not in self.hosts:
                response = JSONResponse({"error": "this request came from another site; use the clinic's page itself"}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Headers on every response: no inline scripts, no framing, no sniffing, nothing cached;
    the session cookie marked Secure whenever the page is reached over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_tls = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if over_tls:
                    headers[:] = [(k, v + b"; secure" if k == b"set-cookie" and b"secure" not in v.lower() else v) for k, v in headers]
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),  # never to another site; our own forms still say where they come from
                    (b"cache-control", b"no-store"),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), sent))


class Guard:
    """The login gate (when a password is set), the sessions signed in, and the CSRF check on every POST."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.sessions: dict[str, float] = {}  # session id -> when it was signed in; kept here, not in the cookie

    def signed_in(self, request: Request) -> bool:
        if not self.password:
            return True
        sid = request.session.get("sid")
        started = self.sessions.get(sid) if isinstance(sid, str) else None
        if started is None or time.monotonic() - started > SESSION_S:
            return False
        return True

    def sign_in(self, request: Request) -> None:
        request.session.clear()
        sid = secrets.token_urlsafe(32)
        self.sessions[sid] = time.monotonic()
        request.session["sid"] = sid
        now = time.monotonic()
        for old in [s for s, at in self.sessions.items() if now - at > SESSION_S]:
            del self.sessions[old]

    def sign_out(self, request: Request) -> None:
        """Ends the session here, on the server: a copy of the cookie opens nothing afterwards."""
        sid = request.session.get("sid")
        if isinstance(sid, str):
            self.sessions.pop(sid, None)
        request.session.clear()

    def too_many_tries(self, address: str) -> bool:
        tries = self.failures[address]
        while tries and time.monotonic() - tries[0] > LOGIN_WINDOW_S:
            tries.popleft()
        return len(tries) >= LOGIN_TRIES

    def check_password(self, address: str, given: str) -> bool:
        if hmac.compare_digest(given.encode(), self.password.encode()):
            self.failures.pop(address, None)
            return True
        self.failures[address].append(time.monotonic())
        return False

    async def __call__(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if not path.startswith(OPEN_PATHS) and not self.signed_in(request):
            if path.startswith(("/api/", "/files/")):
                return JSONResponse({"error": "sign in first"}, status_code=401)
            return RedirectResponse("/login", status_code=303)
        if request.method == "POST" and path != "/login":
            sent = request.headers.get("x-csrf-token")
            if not csrf_ok(request, sent):
                return JSONResponse({"error": "the page is out of date; reload it and try again"}, status_code=403)
        return await call_next(request)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_options(secret: str, password: str) -> dict[str, Any]:
    """A signed session cookie: HttpOnly (Starlette's default), SameSite=Strict, 8 hours. The
    signing key mixes in the password, so a new password ends every session even with a fixed
    HANDOUTS_WEB_SECRET."""
    key = hmac.new(secret.encode(), password.encode("utf-8", "surrogatepass"), "sha256").hexdigest()
    return {"secret_key": key, "same_site": "strict", "max_age": SESSION_S, "session_cookie": "handouts_session"}
