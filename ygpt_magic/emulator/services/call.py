"""Bookkeeping every RPC shares: auth check, recording, injected failures and one log line.

Auth works like the cloud's: an ``authorization`` metadata entry ``Api-Key <key>`` or
``Bearer <token>`` must be present. A server started with a key of its own (``api_key``: the
in-kernel server of ``%ygpt connect local``) takes that key only, so no other user or process on
the machine can read what the kernel sent; without one (``ygpt-magic serve``, tests) any key
works. The value is never logged, recorded or echoed.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, Protocol, TypeVar

import grpc

from ..attachments import Extras, recorded
from ..errors import RequestError
from ..logs import logger
from ..prompt import received
from ..state import EmulatorState

_SCHEMES = ("api-key ", "bearer ")
T = TypeVar("T")
#: a call's metadata as gRPC gives it: (key, value) pairs (None, where a call has none, is spelt `Metadata | None`)
Metadata = Sequence[tuple[str, str | bytes]]


class CallContext(Protocol):
    """What a call uses of its context: a grpc.aio.ServicerContext, or the HTTP side's stand-in
    (``http/context.py``). ``abort`` raises: the call ends there with that status; ``peer`` is
    the client's address as gRPC writes it (``ipv4:HOST:PORT``)."""

    def invocation_metadata(self) -> Metadata | None: ...

    def peer(self) -> str: ...

    async def abort(self, code: grpc.StatusCode, details: str = "") -> NoReturn: ...


def auth_problem(metadata: Metadata | None, api_key: str | None = None) -> str | None:
    """What is wrong with a call's credentials (None: they are acceptable), as the cloud checks;
    with ``api_key``, anything but ``Api-Key <api_key>`` is refused."""
    values = [value for key, value in metadata or () if key == "authorization"]
    if not values:
        return ("The request has no authorization. Pass an API key (auth=\"...\" or YC_API_KEY) or an "
                "IAM token (YC_IAM_TOKEN) to the SDK, or send the header 'Authorization: Api-Key <key>' "
                "over HTTP; any non-empty value works with `ygpt-magic serve`.")
    value = str(values[0])
    if not value.lower().startswith(_SCHEMES) or not value.split(" ", 1)[1].strip():
        return "The authorization must be 'Api-Key <key>' or 'Bearer <IAM token>'."
    if api_key is not None and not hmac.compare_digest(value.encode(), f"Api-Key {api_key}".encode()):
        return ("This server was started with a key of its own and takes no other: it answers only "
                "the client that started it (e.g. a Jupyter kernel's %ygpt connect local).")
    return None


class Call:
    """One RPC in progress. Services call admit() first and abort() to refuse."""

    def __init__(self, state: EmulatorState, context: CallContext, method: str):
        self.state = state
        self.context = context
        self.method = method
        self.started = time.perf_counter()
        self.status = "OK"
        self.model = "-"
        self.messages = 0
        self.chunks = 0

    async def admit(self, request: Any = None, *, auth: bool = True, record: bool = True, faults: bool = True,
                    extras: Extras | None = None) -> None:
        """Check auth, record the request (with the chat API's ``extras``), and apply a pending
        injected failure or hold."""
        if request is not None and hasattr(request, "model_uri"):
            self.model = request.model_uri
            # a text to tokenize, embed or classify is one; a batch job's rows are in its dataset
            self.messages = len(request.messages) if hasattr(request, "messages") else int(hasattr(request, "text"))
        if auth:
            await self._check_auth()
        if record and request is not None:
            self.state.record(recorded(received(self.method, request), extras))
        failure = self.state.faults.take_failure(self.method) if faults else None
        if failure is not None:
            await self.abort(*failure)
        if faults and (held := self.state.faults.take_hold(self.method)):
            await asyncio.sleep(held)

    async def _check_auth(self) -> None:
        problem = auth_problem(self.context.invocation_metadata(), self.state.api_key)
        if problem is not None:
            await self.abort(grpc.StatusCode.UNAUTHENTICATED, problem)

    async def abort(self, code: grpc.StatusCode, message: str) -> NoReturn:
        """End the RPC with a status (raises inside the handler, as grpc.aio does)."""
        self.status = code.name
        await self.context.abort(code, message)

    def log(self) -> None:
        """One line per request; it names the method and model, never the credentials."""
        logger.info(
            "%s model=%s messages=%d chunks=%d status=%s %.1fms",
            self.method, self.model, self.messages, self.chunks, self.status,
            (time.perf_counter() - self.started) * 1000,
        )


async def unary(state: EmulatorState, context: CallContext, method: str,
                answer: Callable[[], T], request: Any = None, *, auth: bool = True,
                record: bool = True, faults: bool = True, model: bool = False, off_loop: bool = False) -> T:
    """The life of every unary RPC: admit it (``auth``, ``record``, ``faults`` as ``Call.admit``
    takes them), answer it (a ``model`` call after the injected latency; the answer held when a
    test holds it after the work, ``hold_next(answered=True)``), turn a RequestError into its
    status, and log one line whatever happens. ``off_loop``: answer on a worker thread,
    for an answer that changes no state and may take seconds (tokenizing megabytes), so the
    server's one event loop keeps serving every other client meanwhile."""
    call = Call(state, context, method)
    try:
        await call.admit(request, auth=auth, record=record, faults=faults)
        if model and (delay := state.faults.answer_delay()):
            await asyncio.sleep(delay)
        answered = await asyncio.to_thread(answer) if off_loop else answer()
        if faults and (held := state.faults.take_hold(method, answered=True)):
            await asyncio.sleep(held)
        return answered
    except RequestError as error:
        await call.abort(error.code, error.message)
    finally:
        call.log()
