"""A bounded store of random tokens: what the page hands out (a PDF, a workshop) for a while, then forgets.

The page runs all day on a clinic's computer; a dictionary that only grows would hold
every token (and its patient files) until the server stops. Entries expire after a time
and the oldest go first past a count; a workshop still running is never dropped.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class Expiring(Generic[V]):
    def __init__(
        self, ttl_s: float, limit: int, on_drop: Callable[[V], None] | None = None, busy: Callable[[V], bool] | None = None
    ) -> None:
        self.ttl_s, self.limit = ttl_s, limit
        self._on_drop, self._busy = on_drop, busy
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, value: V) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._items[token] = (time.monotonic(), value)
        self.prune()
        return token

    def get(self, token: str) -> V | None:
        self.prune()
        with self._lock:
            found = self._items.get(token)
        return found[1] if found else None

    def touch(self, token: str) -> None:
        """Start the entry's time again (a workshop's hour runs from when it finished)."""
        with self._lock:
            if token in self._items:
                self._items[token] = (time.monotonic(), self._items[token][1])
                self._items.move_to_end(token)

    def drop(self, token: str) -> None:
        with self._lock:
            found = self._items.pop(token, None)
        if found is not None and self._on_drop:
            self._on_drop(found[1])

    def prune(self) -> None:
        now = time.monotonic()
        with self._lock:
            over = len(self._items) - self.limit
            gone = []
            for token, (at, value) in list(self._items.items()):
                if self._busy and self._busy(value):
                    continue
                if now - at > self.ttl_s or over > 0:
                    gone.append(value)
                    del self._items[token]
                    over -= 1
        for value in gone:
            if self._on_drop:
                self._on_drop(value)

    def clear(self) -> None:
        with self._lock:
            values = [v for _, v in self._items.values()]
            self._items.clear()
        for value in values:
            if self._on_drop:
                self._on_drop(value)

    def __len__(self) -> int:
        return len(self._items)
