"""The SDK's retry policy, sized by our settings and telling a stream when it waits to retry.

The SDK retries a stream that broke off (UNAVAILABLE, RESOURCE_EXHAUSTED) inside its own gRPC
interceptor: it sleeps a backoff of one to a few seconds, then starts the request over, and the
caller sees nothing until the new attempt's first chunk, whose text is shorter than what was on
screen. A user watching the text freeze, then shrink, took it for a hang or a rewritten answer
(browser.md #2). ``RetryPolicy.sleep`` is the policy's public step between attempts; ours first
tells whoever opened the request on this task (:func:`tell`), then sleeps as the SDK's does. The
SDK is imported only when a policy is made (loader.make_sdk), never by importing this module.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any


class Retrying:
    """An item among a stream's answers: it broke off, and the SDK waits to try it again."""


RETRYING = Retrying()

#: who to tell, on this task (a stream's producer on the client's loop), that a retry waits
_TOLD: ContextVar[Callable[[], None] | None] = ContextVar("ygpt_magic_retry_told", default=None)


def tell(told: Callable[[], None]) -> None:
    """From now on, on this task (its context dies with it), a retry's backoff calls ``told``."""
    _TOLD.set(told)


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
            told = _TOLD.get()
            if told is not None:
                told()
            await super().sleep(attempt, deadline)

    return TellingRetryPolicy
