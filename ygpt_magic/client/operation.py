"""A ``--deferred`` operation awaited: polled within the request timeout, its answer read back.

Kept apart from the Client (sdk.py), which starts the operation and lends this module its loop,
its connect check and its error translation, as it lends them to a Stream (stream.py):
- Polling is driven from the caller's thread, so that ``on_wait`` (which updates the display)
  runs where the display lives, and Ctrl-C stops the wait.
- Each call has the connect check beside it (``Client.beside_reach``): a server that stops
  while it holds a poll sends neither an answer nor an error, and gRPC would wait for it until
  the request timeout. Its ServerUnavailable then names the operation (OperationUnreachable):
  the operation lives on the server, which this cell can no longer ask.
- Giving up the wait (the timeout, Ctrl-C, a poll the server failed) cancels the operation on
  the server too, so "stopped" is true of the work and of what it costs, not only of the wait,
  and running the cell again does not pay for a second one while the first goes on.
- A poll answered NOT_FOUND is OperationGone: the server no longer knows the operation (it was
  restarted), which says nothing of the model, whatever NOT_FOUND means for a request; there is
  nothing left to cancel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..chat.options import RequestOptions
from ..errors import OperationGone, OperationUnreachable, ServerTimeout, ServerUnavailable, YGptError
from . import rpc_errors
from .chunks import SdkAnswer, grpc_chunk

if TYPE_CHECKING:
    from .sdk import Client

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def await_answer(client: Client, operation: Any, options: RequestOptions,
                 on_wait: Callable[[float], None]) -> SdkAnswer:
    """The answer of ``operation`` (the SDK's, started by ``client``), once it is done;
    ``on_wait(seconds)`` between polls."""
    try:
        return _poll(client, operation, options, on_wait)
    except ServerUnavailable as lost:
        raise OperationUnreachable(lost, operation.id) from None


def _poll(client: Client, operation: Any, options: RequestOptions,
          on_wait: Callable[[float], None]) -> SdkAnswer:
    timeout = client.settings.timeout
    started = time.monotonic()
    try:
        while client.beside_reach(lambda: _known(client, operation, operation.get_status(timeout=timeout)),
                                  options).is_running:
            waited = time.monotonic() - started
            if waited > timeout:
                raise ServerTimeout(client.endpoint, timeout)
            on_wait(waited)
            time.sleep(min(client.settings.poll_interval, timeout - waited))   # the timeout bounds the wait
    except (ServerUnavailable, OperationGone):
        raise     # nothing answers there, or nothing is left there: a cancel could do nothing
    except (KeyboardInterrupt, YGptError):
        cancel(client, operation)
        raise
    return grpc_chunk(client.beside_reach(lambda: _known(client, operation, operation.get_result(timeout=timeout)),
                                          options), None)


async def _known(client: Client, operation: Any, call: Awaitable[_T]) -> _T:
    """What ``call`` about ``operation`` returns; OperationGone when the server answers that it
    does not know the operation (NOT_FOUND), which the error boundary would take for a model
    that does not exist."""
    try:
        return await call
    except Exception as exc:
        if rpc_errors.status_of(exc)[0] == "NOT_FOUND":
            raise OperationGone(operation.id, server=rpc_errors.elsewhere(client.endpoint)) from None
        raise


def cancel(client: Client, operation: Any) -> None:
    """Stop the work on the server (and what it costs), not only the wait. Best effort: an
    interrupt must go through even if the cancel cannot."""
    try:
        client.loop.run(operation.cancel(timeout=client.settings.connect_timeout))
    except Exception as exc:
        log.debug("could not cancel operation %s: %s", operation.id, type(exc).__name__)
