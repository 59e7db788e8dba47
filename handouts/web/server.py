"""Running the page under uvicorn so that a busy or hostile network cannot stop it.

uvicorn closes idle keep-alive connections but waits for ever on a connection that
sends nothing, or half a request: 1,100 of them (past a desktop's 1,024 open files)
stopped the page and filled stderr with "Too many open files" tracebacks. Here a
request must arrive at a steady pace or its connection is closed, the process may open
as many files as the system allows, connections past a limit are turned away at once,
and a repeated low-level error is logged once a minute, not thousands of times.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

# how often each connection is looked at (HANDOUTS_WEB_PACE_S: the tests look every second)
CHECK_S = float(os.environ.get("HANDOUTS_WEB_PACE_S", "") or 10.0)
UNUSED_LOOKS = 6  # a connection that never sends a byte is closed after this many looks (a minute)
MIN_BYTES = 2048  # a request still arriving must bring at least this much per look (a phone on bad Wi-Fi does)
MAX_CONNECTIONS = 4000  # past this (or what the open-files limit allows), new requests get "503 busy" at once
KEEP_ALIVE_S = 5


class PacedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request stalls.

    Every CHECK_S seconds: a connection found at the same point of the same request as at the
    last look, and still holding half its headers or sending its body at less than MIN_BYTES a
    look, is closed (a request that merely straddles a look is not); one opened and never used
    is closed after UNUSED_LOOKS looks. A connection between requests is left to uvicorn's
    keep-alive timeout (closing it here races a client about to reuse it), and a request being
    answered is never cut off: only the client's side is timed.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._received = 0  # bytes since the last look
        self._answered = 0  # requests answered on this connection
        self._answered_before = 0
        self._looks = 0
        self._place: tuple[object, ...] = ()
        self._pace = self.loop.call_later(CHECK_S, self._check_pace)

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._answered += 1
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._pace.cancel()
        super().connection_lost(exc)

    def _check_pace(self) -> None:
        if self.transport.is_closing():
            return
        self._looks += 1
        state = self.conn.their_state
        idle = self.cycle is None or self.cycle.response_complete
        # where this connection is: which request, and which part of it; only a connection found in the
        # same place at two looks in a row (a whole CHECK_S) can be stalled
        place = (state, self._answered, id(self.cycle))
        stuck = place == self._place
        self._place = place
        waiting = state is h11.IDLE and idle and self._answered == self._answered_before
        # half a request's headers sitting unanswered for a whole look
        half_sent = stuck and waiting and bool(self.conn.trailing_data[0])
        # a connection opened and never used: given longer (a browser may open one ahead of need);
        # one already answered is between requests, and uvicorn's keep-alive timeout ends it
        unused = waiting and self._answered == 0 and self._looks >= UNUSED_LOOKS
        # a body trickling in slower than a bad phone connection (not one we asked to wait: the app is busy)
        trickling = stuck and state is h11.SEND_BODY and self._received < MIN_BYTES and not self.flow.read_paused
        if half_sent or unused or trickling:
            self.transport.close()
            return
        self._received = 0
        self._answered_before = self._answered
        self._pace = self.loop.call_later(CHECK_S, self._check_pace)


class OncePerMinute(logging.Filter):
    """The same low-level message (a full accept queue, too many open files) at most once a minute."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = str(record.msg)[:60]
        now = time.monotonic()
        if now - self.last.get(key, -60.0) < 60:
            return False
        self.last[key] = now
        record.exc_info = None  # one line, never a traceback
        record.exc_text = None
        return True


def raise_open_files_limit() -> int:
    """As many open files as the system allows this process (a desktop's default is 1,024)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (ImportError, ValueError, OSError):
        return 0


def config(app: Any, host: str, port: int, proxy: bool = False, **extra: Any) -> uvicorn.Config:
    """uvicorn's settings for the clinic's page: paced requests, bounded connections, no access log
    (addresses and paths only, but nothing the page needs), proxy headers only when told."""
    files = raise_open_files_limit()
    connections = max(100, min(MAX_CONNECTIONS, files - 256)) if files else MAX_CONNECTIONS  # room for the PDFs and history
    calm = OncePerMinute()
    for name in ("asyncio", "uvicorn.error"):
        logging.getLogger(name).addFilter(calm)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=PacedH11Protocol,
        limit_concurrency=connections,
        timeout_keep_alive=KEEP_ALIVE_S,
        proxy_headers=proxy,  # X-Forwarded-For from anyone but the clinic's own proxy would dodge the login limit
        forwarded_allow_ips="127.0.0.1" if proxy else "",
        log_level="warning",
        access_log=False,
        **extra,
    )


def serve(app: Any, host: str, port: int, proxy: bool = False) -> None:
    uvicorn.Server(config(app, host, port, proxy)).run()
