"""Sending a completion stream over HTTP, for both APIs (REST lines and the chat API's SSE).

Whatever the framing, the life of a streamed answer is the same: a refusal before the first
response is a plain error response with its HTTP status (auth, validation, an injected failure;
app.py's middleware writes it);
after it, the status is already sent, so an error becomes a last frame. A client that goes away
mid-stream ends the call quietly: the services' generator is closed (logged as CANCELLED), and
nothing is written or raised after that.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable

from aiohttp import web
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import CompletionResponse

from ..errors import CallAborted

Frames = Callable[[CompletionResponse], Iterable[bytes]]


async def stream_answers(request: web.Request, answers: AsyncGenerator[CompletionResponse, None], *,
                         headers: dict[str, str], frames: Frames, error_frame: Callable[[CallAborted], bytes],
                         closing: Callable[[], Iterable[bytes]] = tuple) -> web.StreamResponse:
    """Write ``frames(answer)`` for each answer, then ``closing()``; a late error ends the
    stream with ``error_frame(error)`` instead of ``closing()``."""
    first = await anext(answers)   # a refusal raises here, before any byte is sent
    response = web.StreamResponse(headers=headers)
    await response.prepare(request)
    try:
        await _write(response, frames(first))
        async for answer in answers:
            await _write(response, frames(answer))
        await _write(response, closing())
    except CallAborted as error:
        await _write(response, [error_frame(error)])
    except ConnectionResetError:   # the client went away: nothing to answer, nothing to log
        return response
    finally:
        await answers.aclose()
    await response.write_eof()
    return response


async def last_answer(answers: AsyncIterator[CompletionResponse]) -> CompletionResponse:
    """The final response of a completion asked without streaming (the services send only it)."""
    last = await anext(answers)   # a refusal raises here, as in stream_answers
    async for last in answers:
        pass
    return last


async def _write(response: web.StreamResponse, frames: Iterable[bytes]) -> None:
    for frame in frames:
        await response.write(frame)
