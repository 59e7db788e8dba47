"""How much a request may send, counted while it streams: a chunked upload cannot get round it.

A Content-Length over the limit is refused before a byte is read; a body without one
(chunked) is counted as it arrives and refused the moment it passes the limit, so a
1.5 GB upload never reaches the temporary directory. Text that cannot be stored or
printed (a lone surrogate from a broken client) is refused with words, never a 500.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handouts.errors import HandoutError

MB = 1024 * 1024
DEFAULT_BODY = 256 * 1024  # a plan, a login, a search: a few KB at most


class Watched:
    """A response's send, noting whether it has begun (then no other answer can be sent instead)."""

    def __init__(self, send: Send) -> None:
        self._send, self.started = send, False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class TooLarge(Exception):
    """Raised inside the app's receive when the body passes its limit."""


class BodyLimit:
    """Per-path limits on the request body, enforced on the stream itself."""

    def __init__(self, app: ASGIApp, limits: dict[str, tuple[int, str]]) -> None:
        self.app = app
        self.limits = limits  # path -> (bytes, what to say)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, words = self.limits.get(scope["path"], (DEFAULT_BODY, "the request is too large"))
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(words, scope, receive, send)
            return
        seen = 0
        response = Watched(send)

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge
            return message

        try:
            await self.app(scope, counted, response.send)
        except TooLarge:
            if not response.started:
                await _refuse(words, scope, receive, send)
        except BaseExceptionGroup as group:  # raised inside a middleware's task group, it comes back wrapped
            if group.subgroup(TooLarge) is None:
                raise
            if not response.started:
                await _refuse(words, scope, receive, send)


async def _refuse(words: str, scope: Scope, receive: Receive, send: Send) -> None:
    # Connection: close, so the client stops sending the rest of its body to us
    response = JSONResponse({"error": words}, status_code=413, headers={"connection": "close"})
    await response(scope, receive, send)


def clean_text(value: Any, field: str = "") -> Any:
    """Every string in a JSON body, checked: a lone surrogate cannot be printed, stored or logged."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise HandoutError("the text has a broken character (from a copy and paste?); type it again", field=field) from None
        return value
    if isinstance(value, dict):
        return {k: clean_text(v, k if isinstance(k, str) and not field else field) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_text(v, field) for v in value]
    return value


class CalmErrors:
    """The last net: an error nobody foresaw becomes one line in the log (its kind and the path,
    never the request's text, which may hold a patient's name) and a short answer in words."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = Watched(send)
        try:
            await self.app(scope, receive, response.send)
        except Exception as e:  # deliberately broad: this is the one place that keeps tracebacks out of the log
            import logging

            logging.getLogger("handouts.web").error(
                "handouts: %s on %s %s (nothing was saved)", type(e).__name__, scope["method"], scope["path"]
            )
            if not response.started:
                words = {"error": "something went wrong on this computer; nothing was saved. Try again."}
                await JSONResponse(words, status_code=500)(scope, receive, send)
