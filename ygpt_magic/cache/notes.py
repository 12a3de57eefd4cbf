"""The "used" notes of replayed entries, held a moment and written to the cache file together.

Why: ``clear --older-than`` keeps what a re-run replayed, so each replay notes when its entry was
used. Written one transaction each, a Run All of 300 replayed cells appended 300 transactions of
a page or two to SQLite's log (``-wal``, 2.8 MB for a 420 kB cache), and the log keeps its
largest size. Held here for :data:`NOTES_WAIT` seconds, the notes of a Run All go to the file in
a few transactions. A timer writes them, so a kernel killed a moment later has lost none; the
store writes what is left when it closes (at unload, and at the kernel's exit).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timezone

#: seconds within which a replayed entry is not noted again: a re-run's hits cost one note per
#: entry, not one per lookup (``clear --older-than`` counts in minutes at best)
MARK_EVERY = 60.0
#: seconds a note waits for others before they are written together
NOTES_WAIT = 2.0
#: key → when its entry was replayed (a recording time: UTC, ISO 8601, sorts as text)
Notes = dict[str, str]


def now() -> str:
    """A recording time: UTC, to the second, ISO 8601 (sorts as text)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PendingNotes:
    """The notes not yet in the file, and the timer that writes them.

    ``flush`` is the store's: called on the timer's thread, it takes the lock the store's
    close and clear take, and hands :meth:`write` its writer there. Taken outside that lock, a
    close between the take and the write found nothing pending, and the write then found the
    store closed: the notes were reported written and dropped. Safe from any thread: the
    kernel's and the panel's note, the timer writes."""

    def __init__(self, flush: Callable[[], None], wait: float = NOTES_WAIT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._flush, self._wait, self._clock = flush, wait, clock
        self._lock = threading.Lock()
        self._pending: Notes = {}
        #: key → when it was last noted (``clock``), oldest first; only the last MARK_EVERY's
        self._marked: OrderedDict[str, float] = OrderedDict()
        self._timer: threading.Timer | None = None

    def add(self, key: str) -> None:
        """Note that ``key``'s entry was replayed now (once a minute at most)."""
        moment = self._clock()
        with self._lock:
            last = self._marked.get(key)
            if last is not None and moment - last < MARK_EVERY:
                return
            self._marked[key] = moment
            self._marked.move_to_end(key)
            self._forget(moment)
            self._pending[key] = now()
            self._arm()

    def take(self) -> Notes:
        """Every pending note, which the caller now writes (or hands back with :meth:`restore`)."""
        with self._lock:
            notes, self._pending = self._pending, {}
            return notes

    def write(self, write: Callable[[Notes], bool]) -> None:
        """Write every pending note with ``write`` (the store's, under its lock), which returns
        False when the file could not take them at once (another kernel's lock): they wait for
        the next round."""
        notes = self.take()
        if notes and not write(notes):
            self.restore(notes)

    def restore(self, notes: Notes) -> None:
        """Notes that could not be written: pending again, behind any newer note of a key."""
        with self._lock:
            self._pending = {**notes, **self._pending}
            self._arm()

    def stop(self) -> None:
        """No more timed writes (the store is closing and writes what is left itself)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _forget(self, moment: float) -> None:
        """Drop the moments of keys last noted MARK_EVERY or more before ``moment`` (called with
        the lock held): such a key is noted again anyway, so kept, they only grew with every key
        a long session replayed. The oldest are first: each is dropped once."""
        marked = self._marked
        while marked and moment - next(iter(marked.values())) >= MARK_EVERY:
            marked.popitem(last=False)

    def _arm(self) -> None:
        """Start the timer unless it runs (called with the lock held)."""
        if self._timer is None and self._pending:
            self._timer = threading.Timer(self._wait, self._due)
            self._timer.daemon = True  # the kernel's exit does not wait for it: the store's close writes
            self._timer.start()

    def _due(self) -> None:
        """The timer's work: the store writes what is pending (unless stopped or replaced meanwhile)."""
        with self._lock:
            if self._timer is not threading.current_thread():
                return
            self._timer = None
        self._flush()
