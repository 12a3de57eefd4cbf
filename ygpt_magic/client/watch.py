"""Is the server still there? Asked by a :class:`~.many.ManyJob` in the middle of many requests.

Why it is needed: a request to a server that has gone does not fail fast. The SDK sends an
embedding or a classification (``call_service`` in its ``_client.py``) with gRPC's
``wait_for_ready=True``: such a call waits for the channel to come back until its own deadline
(the request timeout, 180 s by default), then ends in DEADLINE_EXCEEDED, which reads as "the
reply was too long". A completion (a ``--map`` row) goes over the server-streaming RPC, which
fails at once with UNAVAILABLE, but the SDK's retry policy tries it again with backoff first
(4 times from 1 s by default). Either way each row left would cost seconds to minutes, told as
something else than what it is. (A single ``%%ygpt`` cell races its request against a connect
already: reach.py.)

So the job asks, with the plain TCP connect of :mod:`.reach`, whether anything still listens:
after a failure that may be the server's, and whenever no request has finished for ``quiet``
seconds. Nothing listening means the server is gone: the job ends every row not yet answered
with :class:`ServerStoppedAnswering` at once. Something listening (a slow server, a hung one)
changes nothing: the requests go on under their own timeout, which is then the right blame.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import (
    ServerFailed,
    ServerGaveUp,
    ServerStoppedAnswering,
    ServerTimeout,
    ServerUnavailable,
    StreamBroken,
    YGptError,
)

#: seconds with requests in flight and none finished, after which the job asks again: a TCP
#: connect costs a round trip, while the request timeout is minutes
QUIET = 2.0

#: the failures a dead server causes (each also has causes of its own, hence the question)
SERVER_SIDE = (ServerUnavailable, ServerTimeout, ServerGaveUp, ServerFailed, StreamBroken)


@dataclass(frozen=True)
class Watch:
    """How a job asks after its server: ``probe`` returns if something listens at ``endpoint``
    (without trusting an earlier answer) and raises ServerUnavailable if nothing does."""

    endpoint: str
    probe: Callable[[], Awaitable[None]]
    quiet: float = QUIET

    @staticmethod
    def suspect(error: BaseException) -> bool:
        """Whether a request's failure may mean the server is gone (not a row's own fault)."""
        return isinstance(error, SERVER_SIDE)

    async def gone(self) -> YGptError | None:
        """The error for every row not yet answered if the server is gone, else None."""
        try:
            await self.probe()
        except ServerUnavailable:
            return ServerStoppedAnswering(self.endpoint)
        return None
