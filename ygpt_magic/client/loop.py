"""An asyncio event loop on its own daemon thread, and blocking waits on it that Ctrl-C can stop.

grpc.aio channels and calls belong to the loop that created them, so every SDK coroutine of a
Client runs on one loop. The caller (the kernel's main thread, or the panel's worker) blocks on a
concurrent future or a queue: both waits are interruptible by signals, so KeyboardInterrupt
arrives in the caller, which then cancels the coroutine on the loop (thread-safe).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import AsyncGenerator, Callable, Coroutine, Generator, Iterator
from typing import Any, TypeVar

_END = object()
_NEWEST = object()  # a ticket in the queue: the newest answer is waiting
logger = logging.getLogger("ygpt_magic.client")

#: Seconds an answer may take before a wait calls its ``slow`` callback (the cell's waiting line).
#: A quicker answer is shown as it comes: a line drawn for it would flash and be replaced at once,
#: and drawing it would compete with the sending thread for the interpreter lock. The cloud's first
#: chunk comes after 0.1–0.3 s; at 0.1 s every such cell drew the line and replaced it a
#: millisecond later. A wait past 0.3 s is one a user has noticed, and the line then says why.
SLOW_AFTER = 0.3

_T = TypeVar("_T")


def _quiet_exception_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """What asyncio would log at ERROR ("Exception in callback ...", "Task exception was never
    retrieved") goes to a DEBUG line instead: on this loop that is grpc.aio's bookkeeping (the
    SDK's call wrapper raises NotImplementedError from add_done_callback when grpc.aio asks) or
    a cancelled call's error, already reported through the request; it must not print into a
    cell. Only the exception's type is logged: the context's reprs are not ours to vet."""
    error = context.get("exception")
    logger.debug("ignored on the client's event loop: %s",
                 type(error).__name__ if error is not None else "(no exception)")


class Stalled(Exception):
    """No item arrived on a stream within its stall timeout."""


#: what a StreamJob pumps, made from the job: a source that interjects (a retry waiting, which
#: may come within a millisecond of the start) must find its job there
Source = Callable[["StreamJob"], AsyncGenerator[Any, None]]


class StreamJob:
    """Pumps an async iterator on the loop to the caller, keeping only the newest unread item.

    Its items are a streamed reply's answers, each the whole text so far (its status, usage and
    tool calls with it), so an answer the caller has not read yet is worth nothing once a newer
    one comes: the newest replaces it. While the caller's thread renders a big reply (a second
    or more per render of a 155 KB table), a fast server sends hundreds of answers; queued, each
    with its whole text, they grew the kernel by 77-131 MB, kept, by at most one. An error and
    the end are never replaced: they queue behind the answer they follow.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, source: Source):
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._newest: Any = None  # the newest answer not read yet, if any
        self._future = asyncio.run_coroutine_threadsafe(self._pump(source(self)), loop)
        # Runs when the pump ends, fails, or is cancelled (then at once, in the cancelling thread).
        self._future.add_done_callback(lambda _: self._queue.put(_END))

    async def _pump(self, source: AsyncGenerator[Any, None]) -> None:
        try:
            async for item in source:
                self._offer(item)
        except Exception as exc:  # handed to the caller's thread, raised there
            self._queue.put((False, exc))
        finally:
            await source.aclose()

    def _offer(self, item: Any) -> None:
        """Keep ``item`` as the newest answer; the queue gets a ticket for it unless an unread
        answer already has one (that one's ticket now fetches this)."""
        with self._lock:
            ticketed, self._newest = self._newest is not None, item
        if not ticketed:
            self._queue.put(_NEWEST)

    def interject(self, item: Any) -> None:
        """Queue ``item``, which is no answer (a retry waiting), behind what is queued: never
        replaced by a newer answer, nor replacing one (thread-safe)."""
        self._queue.put((True, item))

    def _get(self, timeout: float | None) -> Any:
        """The next thing queued, a ticket exchanged for the newest answer; queue.Empty."""
        got = self._queue.get(timeout=timeout)
        if got is not _NEWEST:
            return got
        with self._lock:
            item, self._newest = self._newest, None
        return (True, item)

    def results(self, stall_timeout: float | None, slow: Callable[[], None] | None = None,
                due: Callable[[], float | None] | None = None) -> Iterator[Any]:
        """Items as they arrive; ends when the source ends or the job is cancelled. ``slow`` is
        called once if the first item takes longer than SLOW_AFTER (its stall clock goes on).

        ``due``: the seconds until the caller has something due (text it held back, drawn when
        its throttle allows), None when it has nothing. A wait for the next item lasts at most
        that long; if nothing came, ``None`` is yielded, so the caller draws it then, not when
        the next item comes, which a pausing server may hold back for seconds. The stall clock
        runs on across these wake-ups."""
        item = self._first(stall_timeout, slow) if slow is not None else self._next(stall_timeout)
        while item is not _END:
            ok, value = item
            if not ok:
                raise value
            yield value
            item = self._next(stall_timeout) if due is None else (yield from self._waited(stall_timeout, due))

    def _waited(self, timeout: float | None, due: Callable[[], float | None]) -> Generator[None, None, Any]:
        """The next item, yielding None each time ``due`` passes first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = due()
        while pause is not None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= pause:
                break
            try:
                return self._get(max(pause, 0.0))
            except queue.Empty:
                yield None
            pause = due()
        return self._next(None if deadline is None else max(deadline - time.monotonic(), 0.0))

    def _first(self, timeout: float | None, slow: Callable[[], None]) -> Any:
        waited = SLOW_AFTER if timeout is None else min(SLOW_AFTER, timeout)
        try:
            return self._get(waited)
        except queue.Empty:
            slow()
        return self._next(None if timeout is None else timeout - waited)

    def _next(self, timeout: float | None) -> Any:
        try:
            return self._get(timeout)
        except queue.Empty:
            raise Stalled() from None

    def cancel(self) -> None:
        """Thread-safe; a no-op once the job has finished."""
        self._future.cancel()


def _started(name: str) -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_quiet_exception_handler)
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()
    return loop, thread


class LoopThread:
    """One event loop on a daemon thread, started on first use."""

    def __init__(self, name: str):
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop, self._thread = _started(self._name)
            return self._loop

    def run(self, coro: Coroutine[Any, Any, _T], slow: Callable[[], None] | None = None,
            grace: float = 0.0) -> _T:
        """Run coro on the loop and wait here; ``slow`` is called here if it has not finished
        within SLOW_AFTER. Ctrl-C (or ``slow`` failing) cancels it and propagates; ``grace``:
        seconds a Ctrl-C first lets it finish, for a call whose effect the caller must know (a
        batch job asked for: dropped in flight, the job may run unknown), its result lost but
        what it did kept by the coroutine itself. A second Ctrl-C stops that wait at once."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            if slow is not None:
                try:  # one timed wait (concurrent.futures.wait added a tenth of a millisecond)
                    return future.result(SLOW_AFTER)
                except concurrent.futures.TimeoutError:
                    if future.done():  # its own TimeoutError, or done just now
                        return future.result()
                slow()
            return future.result()
        except BaseException as stop:
            try:
                if grace and isinstance(stop, KeyboardInterrupt):
                    concurrent.futures.wait([future], grace)
            finally:
                future.cancel()  # a no-op once it is done
            raise

    def stream(self, source: Source) -> StreamJob:
        """Pump the async iterator ``source`` makes from the job."""
        return StreamJob(self.loop, source)

    def stop(self, timeout: float = 2.0) -> None:
        """Cancel what still runs, stop the loop, wait briefly for the thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
