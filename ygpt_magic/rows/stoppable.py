"""A job over many rows, started so that a Ctrl-C at any moment after it starts stops it.

A job's requests begin on the client's loop the moment it is made (``Client.complete_many``,
``embed_many``, ``classify_many``), so nothing slow may come between making it and the block that
cancels it: the first progress bar of a kernel imports tqdm.notebook and ipywidgets (~0.2 s), and
a Ctrl-C landing there once left the job sending every row in the background, its answers
dropped, behind a KeyboardInterrupt traceback. So the caller does its slow parts first (the bar),
and the job is made inside the block that cancels it. Its rows are pulled through a gate the
Ctrl-C closes first: one that lands while the job is being made, before the caller holds it,
still stops every row not yet pulled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from .plans import before_sending
from .progress import Tally
from .progress_bar import Progress

T = TypeVar("T")


class Job(Protocol):
    """What a job over rows offers (client/many.py ``ManyJob``)."""

    def results(self) -> Iterator[Any]: ...
    def cancel(self) -> None: ...


class _Gate:
    """The rows as the job pulls them, until Ctrl-C closes it (thread-safe: pulled on the loop)."""

    def __init__(self) -> None:
        self._closed = threading.Event()

    def through(self, rows: Iterable[T]) -> Iterator[T]:
        for row in rows:
            if self._closed.is_set():
                return
            yield row

    def close(self) -> None:
        self._closed.set()


def run_job(start: Callable[[Iterator[T]], Job], rows: Iterable[T], take: Callable[[Iterator[Any]], None]) -> bool:
    """``start`` the job over ``rows`` and hand its results to ``take``; on Ctrl-C, stop it
    (no row is pulled after it, those in flight are cancelled) and hand over what had finished.
    Returns whether Ctrl-C stopped it."""
    gate = _Gate()
    job: Job | None = None
    try:
        job = start(gate.through(rows))
        take(job.results())
        return False
    except KeyboardInterrupt:
        gate.close()
        if job is not None:
            job.cancel()
            take(job.results())
        return True


def bar(tally: Tally, desc: str) -> Progress:
    """The run's progress bar, made before its job starts (a Ctrl-C then: nothing was sent)."""
    with before_sending("the progress bar was being set up"):
        return Progress(tally, desc=desc)
