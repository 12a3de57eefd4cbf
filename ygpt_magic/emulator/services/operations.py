"""Operations: TextGenerationAsyncService.Completion, and OperationService.Get/Cancel for every
operation the server starts (deferred completions, dataset validations, batch jobs).

Each operation's work runs in a task; the operation reports done once the task is finished and
its delay has passed (``operation_delay`` for completions, so a client's "waiting for the
operation" indicator is visible for a moment even with an instant responder).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, replace

import grpc
from google.protobuf.any_pb2 import Any as AnyProto
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc.status_pb2 import Status
from yandex.cloud.ai.foundation_models.v1.text_generation import text_generation_service_pb2_grpc as tg_grpc
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    CompletionRequest,
    CompletionResponse,
)
from yandex.cloud.operation import operation_service_pb2_grpc as op_grpc
from yandex.cloud.operation.operation_pb2 import Operation
from yandex.cloud.operation.operation_service_pb2 import CancelOperationRequest, GetOperationRequest

from .. import prompt as prompts
from ..ids import new_id
from ..keyed import Keyed
from ..state import EmulatorState
from ..stream import final_response
from .call import CallContext, unary

_DESCRIPTION = "Async GPT Completion"


@dataclass
class _Pending:
    operation: Operation
    task: asyncio.Task[Message]
    started: float
    delay: float | None
    cancelled: bool = False


class OperationStore:
    """The operations of one server; only its event loop touches them."""

    def __init__(self, state: EmulatorState):
        self.state = state
        self._pending: Keyed[_Pending] = Keyed(
            None, full=str,
            missing=lambda key: (f"The operation {key!r} is not known to this server (it may have been "
                                 "started on another server, or before a restart). Start the request again."),
        )

    def create(self, prompt: prompts.Prompt) -> Operation:
        """A deferred completion: its result is the completion's final response."""
        generation = self.state.responders.respond(prompt)
        return self.start(self._billed(final_response(prompt, generation)), description=_DESCRIPTION)

    async def _billed(self, work: Awaitable[CompletionResponse]) -> CompletionResponse:
        """The completion, counted in ``state.billed`` once it is answered in full, as the
        cloud bills a deferred request whether or not its result is ever read."""
        response = await work
        self.state.bill(response.usage)
        return response

    def start(self, work: Awaitable[Message], *, description: str = "", metadata: Message | None = None,
              operation_id: str | None = None, delay: float | None = None) -> Operation:
        """An operation whose response is what ``work`` returns (its exception: the error).

        ``delay`` is how long it stays not-done at least; None follows ``operation_delay``.
        """
        operation = Operation(id=operation_id or new_id(), description=description, created_by="local-server")
        operation.created_at.GetCurrentTime()
        operation.modified_at.CopyFrom(operation.created_at)
        if metadata is not None:
            operation.metadata.Pack(metadata)
        task = asyncio.ensure_future(work)
        self._pending.add(operation.id, _Pending(operation, task, time.monotonic(), delay))
        return operation

    def get(self, operation_id: str) -> Operation:
        pending = self._pending.get(operation_id)
        operation = pending.operation
        delay = self.state.operation_delay if pending.delay is None else pending.delay
        ready = pending.task.done() and time.monotonic() - pending.started >= delay
        if (ready or pending.cancelled) and not operation.done:
            operation.done = True
            operation.modified_at.CopyFrom(_now())
            if pending.cancelled:
                operation.error.CopyFrom(Status(code=grpc.StatusCode.CANCELLED.value[0], message="Cancelled."))
            elif pending.task.exception() is not None:
                failure = str(pending.task.exception())
                operation.error.CopyFrom(Status(code=grpc.StatusCode.INTERNAL.value[0], message=failure))
            else:
                packed = AnyProto()
                packed.Pack(pending.task.result())
                operation.response.CopyFrom(packed)
        return operation

    def cancel(self, operation_id: str) -> Operation:
        pending = self._pending.get(operation_id)
        if not pending.operation.done:
            pending.cancelled = True
            pending.task.cancel()
        return self.get(operation_id)

    def cancel_all(self) -> None:
        """Cancel the work of every operation still running: the server is stopping."""
        for pending in self._pending:
            pending.task.cancel()


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp


class TextGenerationAsyncService(tg_grpc.TextGenerationAsyncServiceServicer):
    def __init__(self, state: EmulatorState, store: OperationStore):
        self.state = state
        self.store = store

    async def Completion(self, request: CompletionRequest, context: CallContext) -> Operation:
        def answer() -> Operation:
            # deferred requests never stream: the operation holds the final response only
            return self.store.create(replace(prompts.parse(request), stream=False))
        return await unary(self.state, context, "AsyncCompletion", answer, request)


class OperationService(op_grpc.OperationServiceServicer):
    def __init__(self, state: EmulatorState, store: OperationStore):
        self.state = state
        self.store = store

    async def Get(self, request: GetOperationRequest, context: CallContext) -> Operation:
        return await unary(self.state, context, "GetOperation",
                           lambda: self.store.get(request.operation_id), record=False)

    async def Cancel(self, request: CancelOperationRequest, context: CallContext) -> Operation:
        return await unary(self.state, context, "CancelOperation",
                           lambda: self.store.cancel(request.operation_id), record=False)
