"""Observers: the callbacks a ChatSession or a panel's LiveReply tells about every change.

Both are changed from one thread (a cell, a panel's request thread) and watched from others (every
panel), so adding, removing and calling the callbacks is thread-safe, callbacks run outside the
lock (one may redraw and read the observed object again), and a failing callback is logged, never
raised: a broken panel must not break a cell or a reply.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Event = TypeVar("Event")


class Observers(Generic[Event]):
    """Callbacks taking one event; :meth:`add` returns the function that removes one again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[Event], None]] = []

    def add(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on every :meth:`notify`; returns a function that stops it."""
        with self._lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return remove

    def notify(self, event: Event) -> None:
        """Call every callback with ``event``, logging (not raising) what fails."""
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("ygpt_magic: an observer failed on %s", event)
