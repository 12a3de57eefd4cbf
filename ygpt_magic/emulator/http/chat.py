"""The OpenAI-compatible chat API: ``GET /v1/models`` and ``POST /v1/chat/completions``
(embeddings, ``/v1/embeddings``, are in embeddings.py).

This is what the SDK's ``sdk.chat.completions`` speaks (pointed here with
``service_map={"http_completions": "http://HOST:PORT/v1/"}``), and any OpenAI client with
``base_url="http://HOST:PORT/v1"``. A chat request becomes a CompletionRequest (chat_request.py)
and runs through the same completion code as gRPC and REST; the responses are written in the
chat API's form (chat_reply.py): one JSON object, or server-sent events ending in ``[DONE]``.
"""

from __future__ import annotations

from typing import Any

import grpc
from aiohttp import web
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import ReasoningOptions
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import CompletionRequest

from ..attachments import Extras
from ..errors import CallAborted
from ..models import CONTEXT_LIMITS
from ..services.call import auth_problem
from ..services.text_generation import completion_stream
from ..state import EmulatorState
from .body import read_json
from .chat_reply import ChatReply
from .chat_request import completion_request
from .context import HttpContext
from .embeddings import MODELS as EMBEDDING_MODELS
from .status import dumps, error_body, json_response
from .streaming import last_answer, stream_answers

PREFIX = "/v1"
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
DONE = b"data: [DONE]\n\n"
#: the folder models are listed in when the client names none (the SDK sends OpenAI-Project)
DEFAULT_FOLDER = "local-folder"


def add_routes(app: web.Application, state: EmulatorState) -> None:
    async def models(request: web.Request) -> web.Response:
        problem = auth_problem(HttpContext(request).invocation_metadata(), state.api_key)
        if problem is not None:
            raise CallAborted(grpc.StatusCode.UNAUTHENTICATED, problem)
        folder = request.headers.get("OpenAI-Project") or DEFAULT_FOLDER
        uris = [f"gpt://{folder}/{name}/latest" for name in CONTEXT_LIMITS]
        uris += [f"emb://{folder}/{name}/latest" for name in EMBEDDING_MODELS]
        data = [{"id": uri, "object": "model", "created": 0, "owned_by": "system"} for uri in uris]
        return json_response({"object": "list", "data": data})

    async def chat_completions(request: web.Request) -> web.StreamResponse:
        message, extras = completion_request(await read_json(request))
        extras = Extras(extras.images, {**extras.parameters, **request.query})
        reply = ChatReply(message.model_uri, reasoning_text(message))
        answers = completion_stream(state, HttpContext(request), message, extras)
        if message.completion_options.stream:
            return await stream_answers(
                request, answers, headers=SSE_HEADERS,
                frames=lambda answer: [_event(chunk) for chunk in reply.chunks(answer)],
                closing=lambda: [*(_event(chunk) for chunk in reply.closing()), DONE],
                error_frame=_error_event)
        return json_response(reply.completion(await last_answer(answers)))

    app.router.add_get(f"{PREFIX}/models", models)
    app.router.add_post(f"{PREFIX}/chat/completions", chat_completions)


def reasoning_text(message: CompletionRequest) -> str | None:
    """The reasoning a reasoning model shows (``reasoning_content``): a deterministic line about
    the question, so clients that print it have something to print. None when reasoning is off."""
    if message.completion_options.reasoning_options.mode != ReasoningOptions.ReasoningMode.ENABLED_HIDDEN:
        return None
    question = next((m.text for m in reversed(message.messages) if m.role == "user" and m.text), "")
    return f"The question is: {question.strip()[:200]} Let me work it out before I answer."


def _error_event(error: CallAborted) -> bytes:
    """A late error as an SSE event: the cloud's error JSON, with the message also under
    ``error`` where the SDK reads it (it raises HttpSseError with that message)."""
    body = error_body(error.code, error.message)
    return _event({"error": {"error": error.message, **body["error"]}})


def _event(item: dict[str, Any]) -> bytes:
    return f"data: {dumps(item)}\n\n".encode()
