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
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from .loop import LoopThread

#: times a row that keeps meeting RESOURCE_EXHAUSTED goes back to the queue before it fails
REQUEUES = 3
_END = object()

Request = tuple[Any, Callable[[], Awaitable[Any]]]   # (tag, make the coroutine that answers it)


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


class ManyJob:
    """Runs requests on the loop with an :class:`AdaptiveLimit`; ``results()`` hands them over."""

    def __init__(self, loop: LoopThread, requests: Iterator[Request], limit: AdaptiveLimit,
                 exhausted: Callable[[BaseException], bool],
                 prepare: Callable[[], Awaitable[None]] | None = None) -> None:
        self.limit = limit
        self._requests = requests
        self._exhausted = exhausted
        self._prepare = prepare
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._future_done = threading.Event()
        self._future = asyncio.run_coroutine_threadsafe(self._drive(), loop.loop)
        self._future.add_done_callback(self._ended)

    def _ended(self, _future: Any) -> None:
        self._queue.put(_END)
        self._future_done.set()

    async def _drive(self) -> None:
        try:
            if self._prepare is not None:
                await self._prepare()
            await self._run()
        except Exception as exc:  # the job itself failed (no server, a broken request source)
            self._queue.put((None, None, exc))

    async def _run(self) -> None:
        retry: deque[tuple[Request, int]] = deque()
        running: dict[asyncio.Task[Any], tuple[Request, int]] = {}
        finished: list[asyncio.Task[Any]] = []
        wake = asyncio.Event()

        def done(task: asyncio.Task[Any]) -> None:   # O(1) per request, unlike asyncio.wait's O(n)
            finished.append(task)
            wake.set()

        source_done = False
        try:
            while True:
                while len(running) < self.limit.current and (retry or not source_done):
                    if retry:
                        request, tries = retry.popleft()
                    else:
                        fresh = next(self._requests, None)
                        if fresh is None:
                            source_done = True
                            continue
                        request, tries = fresh, 0
                    task = asyncio.ensure_future(request[1]())
                    task.add_done_callback(done)
                    running[task] = (request, tries)
                if not running:
                    return
                await wake.wait()
                wake.clear()
                settled, finished[:] = finished[:], []
                for task in settled:
                    request, tries = running.pop(task)
                    self._settle(task, request, tries, retry)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    def _settle(self, task: asyncio.Task[Any], request: Request, tries: int,
                retry: deque[tuple[Request, int]]) -> None:
        tag = request[0]
        error = task.exception()
        if error is None:
            self.limit.answered()
            self._queue.put((tag, task.result(), None))
            return
        if self._exhausted(error):
            self.limit.exhausted()
            if tries < REQUEUES:
                retry.append((request, tries + 1))
                return
        self._queue.put((tag, None, error))

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
