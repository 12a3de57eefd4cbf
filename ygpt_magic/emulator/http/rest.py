"""The REST API of the Yandex guides, as the cloud transcodes its gRPC API.

``POST /foundationModels/v1/completion`` (``"stream": true`` sends one JSON object per line, each
``{"result": ...}`` holding the whole text so far, as the cloud's gateway frames a server stream),
``completionAsync`` → an Operation, ``GET /operations/{id}`` (and ``:cancel``), ``tokenize``,
``tokenizeCompletion`` and ``textEmbedding``; and the endpoint discovery, ``GET /endpoints`` and
``/endpoints/{id}``, as api.cloud.yandex.net answers it (every service at the gRPC address, on the
host of the request's Host when the server listens on every interface: a client given this HTTP
address where the gRPC one goes asks it which to use, client/discovery.py).
Every route parses the body into the gRPC request message and runs the gRPC service itself, so
auth, validation, responders, faults and the request log are the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from aiohttp import web
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from yandex.cloud.ai.foundation_models.v1.embedding import embedding_service_pb2 as emb_pb
from yandex.cloud.ai.foundation_models.v1.text_generation import text_generation_service_pb2 as pb
from yandex.cloud.endpoint import api_endpoint_service_pb2 as endpoint_pb
from yandex.cloud.operation import operation_service_pb2 as op_pb

from ..services.discovery import ApiEndpointService
from ..services.embeddings import EmbeddingsService
from ..services.operations import OperationService, TextGenerationAsyncService
from ..services.text_generation import completion_stream
from ..services.tokenizer import TokenizerService
from ..state import EmulatorState
from .body import M, parse_message, read_json
from .context import HttpContext
from .status import dumps, error_body, json_response
from .streaming import last_answer, stream_answers

PREFIX = "/foundationModels/v1"


def to_json(message: Message) -> dict[str, Any]:
    """Protobuf JSON as the gateway writes it: camelCase, int64 as strings, enums by name."""
    body: dict[str, Any] = MessageToDict(message, always_print_fields_with_no_presence=True)
    return body


def add_routes(app: web.Application, state: EmulatorState) -> None:
    tokenizer = TokenizerService(state)
    embeddings = EmbeddingsService(state)
    if state.operations is None:
        raise RuntimeError("the gRPC side makes the operation store; start it before the HTTP side")
    deferred = TextGenerationAsyncService(state, state.operations)
    operations = OperationService(state, state.operations)
    discovery = ApiEndpointService(state)

    async def completion(request: web.Request) -> web.StreamResponse:
        message = parse_message(await read_json(request), pb.CompletionRequest())
        answers = completion_stream(state, HttpContext(request), message)
        if message.completion_options.stream:
            return await _stream(request, answers)
        return await _unary(last_answer(answers), wrap="result")

    async def completion_async(request: web.Request) -> web.Response:
        return await unary(request, pb.CompletionRequest(), deferred.Completion)

    async def tokenize(request: web.Request) -> web.Response:
        return await unary(request, pb.TokenizeRequest(), tokenizer.Tokenize)

    async def tokenize_completion(request: web.Request) -> web.Response:
        return await unary(request, pb.CompletionRequest(), tokenizer.TokenizeCompletion)

    async def text_embedding(request: web.Request) -> web.Response:
        return await unary(request, emb_pb.TextEmbeddingRequest(), embeddings.TextEmbedding)

    async def get_operation(request: web.Request) -> web.Response:
        message = op_pb.GetOperationRequest(operation_id=request.match_info["operation_id"])
        return await _unary(operations.Get(message, HttpContext(request)))

    async def cancel_operation(request: web.Request) -> web.Response:
        message = op_pb.CancelOperationRequest(operation_id=request.match_info["operation_id"])
        return await _unary(operations.Cancel(message, HttpContext(request)))

    async def list_endpoints(request: web.Request) -> web.Response:
        return await _unary(discovery.listed(HttpContext(request), request.url.host))

    async def get_endpoint(request: web.Request) -> web.Response:
        message = endpoint_pb.GetApiEndpointRequest(api_endpoint_id=request.match_info["api_endpoint_id"])
        return await _unary(discovery.got(message, HttpContext(request), request.url.host))

    app.router.add_post(f"{PREFIX}/completion", completion)
    app.router.add_post(f"{PREFIX}/completionAsync", completion_async)
    app.router.add_post(f"{PREFIX}/tokenize", tokenize)
    app.router.add_post(f"{PREFIX}/tokenizeCompletion", tokenize_completion)
    app.router.add_post(f"{PREFIX}/textEmbedding", text_embedding)
    app.router.add_get("/operations/{operation_id:[^/:]+}", get_operation)
    app.router.add_post("/operations/{operation_id:[^/:]+}:cancel", cancel_operation)
    app.router.add_get("/endpoints", list_endpoints)
    app.router.add_get("/endpoints/{api_endpoint_id}", get_endpoint)


async def unary(request: web.Request, message: M,
                method: Callable[[M, HttpContext], Awaitable[Message]]) -> web.Response:
    """A request body read as ``message`` and answered by a service's ``method``, as JSON."""
    parsed = parse_message(await read_json(request), message)
    return await _unary(method(parsed, HttpContext(request)))


async def _unary(answer: Awaitable[Message], wrap: str | None = None) -> web.Response:
    """The answer as a JSON response, written on a worker thread: the JSON of a big answer (the
    tokens of megabytes of text) takes seconds, which the event loop spends on other clients."""
    message = await answer

    def respond() -> web.Response:
        body = to_json(message)
        return json_response({wrap: body} if wrap else body)
    return await asyncio.to_thread(respond)


def _line(item: dict[str, Any]) -> bytes:
    return (dumps(item) + "\n").encode()


async def _stream(request: web.Request, answers: AsyncGenerator[Message, None]) -> web.StreamResponse:
    """One ``{"result": ...}`` line per response; a late error is a last ``{"error": ...}`` line."""
    return await stream_answers(
        request, answers, headers={"Content-Type": "application/json"},
        frames=lambda answer: [_line({"result": to_json(answer)})],
        error_frame=lambda error: _line(error_body(error.code, error.message)))
