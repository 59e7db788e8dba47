"""What keeps patient data on the clinic's page: headers, login, a login rate limit, CSRF tokens.

Loopback needs no password (only this computer can reach it); any other address needs
HANDOUTS_WEB_PASSWORD. Every POST carries the session's CSRF token, so another site open
in the same browser cannot make a handout or read one.
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
OPEN_PATHS = ("/login", "/static/")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers on every response: no inline scripts, no framing, no sniffing, nothing cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
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
    """The login gate (when a password is set) and the CSRF check on every POST."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def signed_in(self, request: Request) -> bool:
        return not self.password or request.session.get("signed_in") is True

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


def session_options(secret: str) -> dict[str, Any]:
    """A signed session cookie: HttpOnly (Starlette's default), SameSite=Strict, 8 hours."""
    return {"secret_key": secret, "same_site": "strict", "max_age": 8 * 3600, "session_cookie": "handouts_session"}
