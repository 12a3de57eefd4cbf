"""The SDK's retry policy, sized by our settings and telling a stream when it waits to retry;
and the same policy over the chat API, which the SDK sends once.

The SDK retries a stream that broke off (UNAVAILABLE, RESOURCE_EXHAUSTED) inside its own gRPC
interceptor: it sleeps a backoff of one to a few seconds, then starts the request over, and the
caller sees nothing until the new attempt's first chunk, whose text is shorter than what was on
screen. A user watching the text freeze, then shrink, took it for a hang or a rewritten answer
(browser.md #2). ``RetryPolicy.sleep`` is the policy's public step between attempts; ours draws
the wait as the SDK's does, tells whoever opened the request on this task (:func:`tell`) the
status that failed and how long it waits, then sleeps: a retry before any text is a busy server,
not a stream that broke off, and its opener's screen says which (render/terminal.py). The
SDK is imported only when a policy is made (loader.make_policy), never by importing this module.

The chat API (pictures, over HTTP) has no interceptor: the SDK sends its request once, so a
picture cell failed at the first 429 that a gRPC cell would have ridden out (cloudfaults F5).
:class:`RetriedChat` gives it the SDK policy's retries: the policy is a value passed down from the
Client, which made it with the SDK and keeps it beside it (the SDK holds it only inside its gRPC
interceptors), not state kept here.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from .rpc_errors import ATTEMPTS_MADE, HTTP_STATUS, http_code, retry_after, speaks_http1, status_of


@dataclass(frozen=True)
class Retrying:
    """An item among a stream's answers: a request failed, and a retry waits to try it again.
    ``status``: as the wire gave it (the chat API's HTTP code, ``"429"``; gRPC's status name,
    ``"RESOURCE_EXHAUSTED"``), None when unknown; ``wait``: the seconds until the next attempt.
    The reader says what happened from them: a server busy before any text, or a stream that
    broke off after some."""

    status: str | None = None
    wait: float | None = None


#: who to tell, on this task (a stream's producer on the client's loop), that a retry waits
_TOLD: ContextVar[Callable[[Retrying], None] | None] = ContextVar("ygpt_magic_retry_told", default=None)


def tell(told: Callable[[Retrying], None]) -> None:
    """From now on, on this task (its context dies with it), a retry's backoff calls ``told``."""
    _TOLD.set(told)


def _tell(exc: BaseException | None, wait: float) -> None:
    """A retry of what ``exc`` ended waits ``wait`` seconds: say so to whoever opened the
    request on this task, if anyone listens."""
    told = _TOLD.get()
    if told is not None:
        told(Retrying(_status(exc) if exc is not None else None, wait))


def _status(exc: BaseException) -> str | None:
    """The status as its wire names it: the chat API's HTTP code, else gRPC's status name."""
    code = http_code(exc)
    return str(code) if code is not None else status_of(exc)[0]


def policy(**sizes: Any) -> Any:
    """The retry policy of a client's SDK (``sizes``: the SDK RetryPolicy's own fields)."""
    return _telling_policy()(**sizes)


@cache
def _telling_policy() -> type:
    """The SDK's RetryPolicy, telling the request's opener before each backoff (made once, when
    the SDK is loaded)."""
    from yandex_cloud_ml_sdk.retry import RetryPolicy

    @dataclass(frozen=True)
    class TellingRetryPolicy(RetryPolicy):
        async def sleep(self, attempt: int, deadline: float | None) -> None:
            """The SDK's step between attempts, with the wait drawn first so the opener is told
            how long it is. The SDK calls it while it handles the failed attempt's error, so
            ``sys.exc_info()`` holds that error (its status; None if the SDK ever calls it
            elsewhere, and the opener is told no status). An UNAVAILABLE that is an HTTP/1
            server's answer is raised at once: the address is an HTTP one, which no wait mends."""
            failed = sys.exc_info()[1]
            if failed is not None and speaks_http1(failed):
                raise failed
            wait = self.backoff(attempt, deadline)
            _tell(failed, wait)
            await asyncio.sleep(wait)

        def backoff(self, attempt: int, deadline: float | None) -> float:
            """The wait before attempt ``attempt + 1``, drawn as the SDK's ``RetryPolicy.sleep``
            draws it (growing from ``initial_backoff``, with jitter, at most ``max_backoff`` and
            never past the deadline): drawn here, since its sleep does not say it."""
            drawn = self.initial_backoff * self.backoff_multiplier ** attempt + random.uniform(0, self.jitter)
            left = drawn if deadline is None else deadline - time.time()
            return max(0.0, min(drawn, self.max_backoff, left))

    return TellingRetryPolicy


class RetriedChat:
    """A chat model of the SDK (``run``, ``run_stream``) whose HTTP 429 and 503 are retried as
    the SDK's gRPC interceptor retries their statuses (RESOURCE_EXHAUSTED, UNAVAILABLE: whichever
    of them the policy's ``retriable_codes`` hold), up to the policy's ``max_attempts`` requests
    in all, within the request's timeout. Only an answer refused before its first chunk can be
    such a status (the SDK raises it before reading the body), so a retried stream never starts
    over. Between attempts the stream's opener is told (:func:`tell`), as the gRPC retry tells
    it; the wait is the policy's backoff, or the server's Retry-After when it gives one, capped
    at the policy's ``max_backoff`` (10 × ``retry_backoff``: 10 s by default), the longest the
    gRPC retry waits between attempts, so a server asking for an hour does not hold the cell.
    The exception it gives up with carries the requests really made, so
    the message says "after N attempts" truly (rpc_errors.attempts_made). Ctrl-C cancels the task, and with it the wait
    (``asyncio.sleep``): no further request is sent."""

    def __init__(self, model: Any, retry_policy: Any) -> None:
        self._model, self._policy = model, retry_policy
        retried = {code.name for code in retry_policy.retriable_codes}
        self._retried = frozenset(http for http, status in HTTP_STATUS.items() if status in retried)

    async def run(self, payload: Any, *, timeout: float) -> Any:
        """The SDK model's ``run``, retried."""
        deadline, attempt = time.time() + timeout, 1
        while True:
            try:
                return await self._model.run(payload, timeout=deadline - time.time())
            except Exception as exc:
                await self._wait_or_raise(exc, attempt, deadline)
            attempt += 1

    async def run_stream(self, payload: Any, *, timeout: float) -> AsyncIterator[Any]:
        """The SDK model's ``run_stream``, retried."""
        deadline, attempt = time.time() + timeout, 1
        while True:
            try:
                async for result in self._model.run_stream(payload, timeout=deadline - time.time()):
                    yield result
                return
            except Exception as exc:
                await self._wait_or_raise(exc, attempt, deadline)
            attempt += 1

    async def _wait_or_raise(self, exc: Exception, attempt: int, deadline: float) -> None:
        """Wait before attempt ``attempt + 1``; raise ``exc`` (marked with the attempts made)
        when it is not to be retried, the attempts are used up, or the wait would pass the
        request's deadline."""
        wait = self._wait(exc)
        if http_code(exc) not in self._retried or attempt >= self._policy.max_attempts or \
                (wait or 0.0) >= deadline - time.time():
            setattr(exc, ATTEMPTS_MADE, attempt)
            raise exc
        if wait is None:
            wait = self._policy.backoff(attempt, deadline)
        _tell(exc, wait)   # as between gRPC attempts
        await asyncio.sleep(wait)

    def _wait(self, exc: BaseException) -> float | None:
        """The server's Retry-After, capped at the policy's longest backoff; None: it gave none."""
        asked = retry_after(exc)
        return None if asked is None else min(float(asked), self._policy.max_backoff)
