"""Many requests at once on the client's event loop, for ``%%ygpt --map``.

Why it looks like this:
- One loop, one task per request in flight, never more than the limit: a thousand rows cost a
  thousand small coroutines over time, not a thousand threads, and never a thousand at once.
- The requests are pulled from the caller's iterator only when a slot is free, so a job of
  100,000 rows never holds more than the in-flight ones on the loop.
- The limit adapts (additive increase, multiplicative decrease, as TCP does): a request that
  still ends in RESOURCE_EXHAUSTED after the SDK's own retries halves the limit and goes back to
  the queue (a few times at most); answers that arrive grow it again by one per window, up to
  the ceiling the user chose.
- Results go to the caller's thread through a queue, as they finish; the caller keeps Ctrl-C
  (``cancel()`` stops pulling and cancels what is in flight) and whatever had arrived.
- ``on_result`` sees each result on the loop as it is handed over, before the next request is
  pulled: a cost cap (chat/budget.py) learns what a finished request cost then, not when the
  caller's thread gets round to reading it (a fast server answers a whole run in that time).
- A server that dies mid-run would leave each request waiting out its whole timeout (watch.py
  says why), so the job asks after the server (a :class:`~.watch.Watch`) when a request fails
  in a way a dead server would cause, and when none has finished for a while; once nothing
  listens, every request not yet answered ends at once with the watch's error, never sent.
- A refusal of what every request carries alike (the credential, the folder's permission, the
  model: ``RefusedForEvery``) ends the job the same way: 10,000 rows under a revoked key send a
  handful of requests, not 10,000. The rows the server refused end with their refusal, the others
  with ``NotSent`` (``CancelledInFlight`` for those in flight), so a summary can say which were
  asked.
- A service that answers UNAVAILABLE to a window of rows in a row (an outage: outage.py says how
  many) ends the job the same way, with ``ServerStayedBusy``: each row left would otherwise
  spend the SDK's retries (seconds) and fail alike, hours over thousands of rows.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from ..errors import CancelledInFlight, NotSent, RefusedForEvery
from .loop import LoopThread
from .outage import Outage
from .watch import Watch

#: times a row that keeps meeting RESOURCE_EXHAUSTED goes back to the queue before it fails
REQUEUES = 3
#: seconds between cancels of a request that goes on after one (:func:`_cancelled`), and the
#: longest a job waits for its cancelled requests to end before it ends without them
RECANCEL = 0.05
CANCEL_WAIT = 1.0
_END = object()

Request = tuple[Any, Callable[[], Awaitable[Any]]]   # (tag, make the coroutine that answers it)
Failure = tuple[Any, BaseException]   # (tag, its error), held back until the server is asked after
Result = tuple[Any, Any, BaseException | None]   # (tag, result, None) or (tag, None, error)


class AdaptiveLimit:
    """How many requests may be in flight now: the ceiling at first, halved when the server is
    out of quota, one more after a window of answers."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = self.current = max(1, ceiling)
        self.lowest = self.current
        self.backoffs = 0
        self._streak = 0

    def exhausted(self) -> None:
        self.current = max(1, self.current // 2)
        self.lowest = min(self.lowest, self.current)
        self.backoffs += 1
        self._streak = 0

    def answered(self) -> None:
        if self.current >= self.ceiling:
            return
        self._streak += 1
        if self._streak >= self.current:
            self.current, self._streak = self.current + 1, 0


class _Flight:
    """One run's requests: in flight, to send again, finished but not yet settled; and whether
    none has finished for the watch's quiet time (a timer sets ``quiet``: no clock read per
    request)."""

    def __init__(self) -> None:
        self.retry: deque[tuple[Request, int]] = deque()
        self.running: dict[asyncio.Task[Any], tuple[Request, int]] = {}
        self.finished: list[asyncio.Task[Any]] = []
        self.wake = asyncio.Event()
        self.source_done = self.quiet = False
        self.settled = 0
        self._timer: asyncio.TimerHandle | None = None

    def done(self, task: asyncio.Task[Any]) -> None:   # O(1) per request, unlike asyncio.wait's O(n)
        self.finished.append(task)
        self.wake.set()

    def take(self) -> list[tuple[asyncio.Task[Any], Request, int]]:
        """The finished tasks, each with its request and tries, out of ``running``."""
        settled, self.finished[:] = self.finished[:], []
        self.wake.clear()
        self.settled += len(settled)
        return [(task, *self.running.pop(task)) for task in settled]

    def watch_quiet(self, seconds: float) -> None:
        """Every ``seconds``, set ``quiet`` (and wake the run) if requests are in flight and
        none finished since the last look."""
        loop = asyncio.get_running_loop()
        seen = self.settled

        def look() -> None:
            nonlocal seen
            if self.running and self.settled == seen:
                self.quiet = True
                self.wake.set()
            seen = self.settled
            self._timer = loop.call_later(seconds, look)
        self._timer = loop.call_later(seconds, look)

    def stop_watching(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


async def _cancelled(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until they end, cancelling again every RECANCEL seconds, at most
    CANCEL_WAIT seconds in all. Once is not enough: a request cancelled in its first moments
    (being sent) goes on in the SDK's logging interceptor, whose ``finally`` awaits the call's
    status, which nothing then cancels: the server's answer, or never. One row caught so kept a
    refused run, or a stopped one, waiting minutes after the rest had ended (test_many_refusal)."""
    pending = set(tasks)
    for _ in range(round(CANCEL_WAIT / RECANCEL)):
        if not pending:
            return
        for task in pending:
            task.cancel()
        done, pending = await asyncio.wait(pending, timeout=RECANCEL)
        for task in done:   # retrieved, as gather(return_exceptions=True) did: an error left
            if not task.cancelled():   # unread is logged when the task is collected
                task.exception()


class ManyJob:
    """Runs requests on the loop with an :class:`AdaptiveLimit`; ``results()`` hands them over;
    ``watch`` (when given) ends the job early, row by row, when the server is gone; ``on_result``
    (when given) is called on the loop with each result as it is handed over."""

    def __init__(self, loop: LoopThread, requests: Iterator[Request], limit: AdaptiveLimit,
                 exhausted: Callable[[BaseException], bool],
                 prepare: Callable[[], Awaitable[None]] | None = None, watch: Watch | None = None,
                 on_result: Callable[[Result], None] | None = None) -> None:
        self.limit = limit
        self._on_result = on_result
        self._requests = requests
        self._exhausted = exhausted
        self._prepare = prepare
        self._watch = watch
        self._outage = Outage(limit.ceiling)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._future_done = threading.Event()
        self._future = asyncio.run_coroutine_threadsafe(self._drive(), loop.loop)
        self._future.add_done_callback(self._ended)

    def _ended(self, _future: Any) -> None:
        self._queue.put(_END)
        self._future_done.set()

    def _hand(self, result: Result) -> None:
        """One result to the caller's thread, seen first by ``on_result``."""
        if self._on_result is not None:
            self._on_result(result)
        self._queue.put(result)

    async def _drive(self) -> None:
        try:
            if self._prepare is not None:
                await self._prepare()
            await self._run()
        except Exception as exc:  # the job itself failed (no server, a broken request source)
            self._hand((None, None, exc))

    async def _run(self) -> None:
        flight = _Flight()
        if self._watch is not None:
            flight.watch_quiet(self._watch.quiet)
        try:
            while self._launch(flight):
                await flight.wake.wait()
                held = [failure for task, request, tries in flight.take()
                        if (failure := self._settle(task, request, tries, flight.retry)) is not None]
                refusal = next((error for _, error in held if isinstance(error, RefusedForEvery)), None)
                if refusal is None and (outage := self._outage.error()) is not None:
                    self._hand_each(held)   # the window's last rows: the server's own UNAVAILABLE
                    await self._end_all(flight, [], outage)
                    return
                if refusal is not None:
                    self._hand_each(held)   # the rows the server refused, each with its own refusal
                    await self._end_all(flight, [], NotSent(refusal), CancelledInFlight(refusal))
                    return
                if (held or flight.quiet) and await self._server_gone(flight, held):
                    return
                self._hand_each(held)
        finally:
            flight.stop_watching()
            await _cancelled(flight.running)

    def _hand_each(self, failures: list[Failure]) -> None:
        """Each failure to the caller with its own error."""
        for tag, error in failures:
            self._hand((tag, None, error))

    def _launch(self, flight: _Flight) -> bool:
        """Start requests while there is room; False when none is left to wait for."""
        while len(flight.running) < self.limit.current and (flight.retry or not flight.source_done):
            if flight.retry:
                request, tries = flight.retry.popleft()
            else:
                fresh = next(self._requests, None)
                if fresh is None:
                    flight.source_done = True
                    continue
                request, tries = fresh, 0
            task = asyncio.ensure_future(request[1]())
            task.add_done_callback(flight.done)
            flight.running[task] = (request, tries)
        return bool(flight.running)

    def _settle(self, task: asyncio.Task[Any], request: Request, tries: int,
                retry: deque[tuple[Request, int]]) -> Failure | None:
        """Hand over the task's result or error, or queue it again; a failure the watch suspects,
        or a refusal every request would get, is returned instead, for :meth:`_run` to end the
        job with (the outage count sees every row's end)."""
        tag = request[0]
        error = task.exception()
        if error is None:
            self.limit.answered()
            self._outage.ended(None)
            self._hand((tag, task.result(), None))
            return None
        if self._exhausted(error):
            self.limit.exhausted()
            if tries < REQUEUES:
                retry.append((request, tries + 1))
                return None
        self._outage.ended(error)
        if isinstance(error, RefusedForEvery) or (self._watch is not None and self._watch.suspect(error)):
            return tag, error
        self._hand((tag, None, error))
        return None

    async def _server_gone(self, flight: _Flight, held: list[Failure]) -> bool:
        """Ask the watch; if the server is gone, every request not yet answered ends with its
        error (:meth:`_end_all`), and True."""
        assert self._watch is not None, "only a watched job holds failures back or goes quiet"
        flight.quiet = False
        gone = await self._watch.gone()
        if gone is None:
            return False
        await self._end_all(flight, held, gone)
        return True

    async def _end_all(self, flight: _Flight, held: list[Failure], error: BaseException,
                       in_flight: BaseException | None = None) -> None:
        """End every request not yet answered (held, in flight, to retry, never pulled) with
        ``error``; an answer that arrives meanwhile is still handed over. ``in_flight`` (a
        refusal's): those cancelled in flight end with it instead, and those that end meanwhile
        with their own error, so the rows the server answered are told from those never sent."""
        await _cancelled(flight.running)  # their done() ran first
        for task, request, tries in flight.take():
            if task.cancelled():
                held.append((request[0], in_flight or error))
            elif (failure := self._settle(task, request, tries, flight.retry)) is not None:
                held.append(failure)
        held.extend((request[0], in_flight or error) for request, _ in flight.running.values())
        flight.running.clear()   # any still ending past the wait: left to end on their own
        self._hand_each(held if in_flight is not None else [(tag, error) for tag, _ in held])
        tags = [request[0] for request, _ in flight.retry] + [request[0] for request in self._requests]
        for tag in tags:
            self._hand((tag, None, error))

    def results(self, tick: float = 0.05) -> Iterator[tuple[Any, Any, BaseException | None] | None]:
        """(tag, result, None) or (tag, None, error) as requests finish, then ``None`` (for the
        caller's progress display) each time the caller has taken what arrived; a job-level
        failure comes as (None, None, error). The caller wakes every ``tick`` seconds and takes
        everything that arrived, never once per request: a thread woken per answer would fight
        the loop for the interpreter lock. Ends when every request is settled or the job was
        cancelled."""
        finished = False
        while not finished:
            self._future_done.wait(tick)
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _END:
                    finished = True
                    break
                yield item
            yield None

    def cancel(self) -> None:
        """Stop sending (thread-safe): in-flight requests are cancelled; ``results()`` still
        yields what had finished, then ends."""
        self._future.cancel()
