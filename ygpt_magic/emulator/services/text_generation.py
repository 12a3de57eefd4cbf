"""TextGenerationService.Completion: the streamed (or single) completion, with injected faults.

The fault plan is taken when the call starts: latency before each response (the first may
have its own, as in the cloud), a break after K responses (the client sees K chunks, then the
status), a stall after K responses.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

import grpc
from yandex.cloud.ai.foundation_models.v1.text_generation import text_generation_service_pb2_grpc as pb_grpc
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    CompletionRequest,
    CompletionResponse,
)

from .. import prompt as prompts
from ..attachments import Extras, attach
from ..errors import RequestError
from ..state import EmulatorState
from ..stream import responses
from .call import Call, CallContext


class TextGenerationService(pb_grpc.TextGenerationServiceServicer):
    def __init__(self, state: EmulatorState):
        self.state = state

    async def Completion(self, request: CompletionRequest, context: CallContext) -> AsyncIterator[CompletionResponse]:
        async for item in completion_stream(self.state, context, request):
            yield item


async def completion_stream(state: EmulatorState, context: CallContext, request: CompletionRequest,
                            extras: Extras | None = None) -> AsyncGenerator[CompletionResponse, None]:
    """The responses of one Completion call, faults applied; the gRPC method and the HTTP routes
    both serve this. ``context`` is a grpc.aio.ServicerContext or the HTTP side's stand-in;
    ``extras`` what a chat-API request adds (images, extra parameters)."""
    call = Call(state, context, "Completion")
    try:
        await call.admit(request, extras=extras)
        prompt = attach(prompts.parse(request), extras)
        plan = state.faults.take_stream_plan()
        generation = state.responders.respond(prompt)
        item = None
        async for item in responses(prompt, generation):
            if plan.stall_after == call.chunks:
                await asyncio.sleep(plan.stall_seconds)
            if plan.break_after == call.chunks:
                await call.abort(plan.break_code, f"Injected fault: the stream broke after {call.chunks} chunks.")
            if delay := plan.delay(call.chunks):
                await asyncio.sleep(delay)
            call.chunks += 1   # handed over: a cancel that lands while it is sent still counts it
            yield item
        if plan.break_after is not None:   # K >= the reply's length: break at its end
            await call.abort(plan.break_code, f"Injected fault: the stream broke after {call.chunks} chunks.")
        if item is not None:
            state.bill(item.usage)  # answered in full: its last response holds the reply's usage
    except RequestError as error:
        await call.abort(error.code, error.message)
    except (asyncio.CancelledError, GeneratorExit):   # the client went away (GeneratorExit: over HTTP)
        call.status = "CANCELLED"
        raise
    except grpc.aio.AbortError:
        raise
    except Exception as error:  # a responder (a local model) failed: say so, not UNKNOWN
        await call.abort(grpc.StatusCode.INTERNAL, f"The local server could not answer: {error}")
    finally:
        call.log()
