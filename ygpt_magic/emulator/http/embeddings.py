"""``POST /v1/embeddings``: text embeddings for the SDK's ``sdk.chat.text_embeddings``.

Each input is one call of the gRPC service's own answer (``services/embeddings.py``: the same
vector, from ``vectors.embed``, as ``TextEmbedding`` and the REST API give) through the shared
life of a unary RPC (auth, the request log, injected faults under the method name
``TextEmbedding``, one log line), as the cloud's gateway would make it.
"""

from __future__ import annotations

from functools import partial

from aiohttp import web
from google.protobuf.wrappers_pb2 import Int64Value
from yandex.cloud.ai.foundation_models.v1.embedding.embedding_service_pb2 import (
    TextEmbeddingRequest,
)

from ..errors import RequestError
from ..services.call import unary
from ..services.embeddings import text_embedding
from ..state import EmulatorState
from ..vectors import DIMENSIONS
from ..vectors import MODELS as MODELS
from .body import read_json
from .context import HttpContext
from .status import json_response


def _texts(value: object) -> list[str]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise RequestError("INVALID_ARGUMENT", "input must be a text or a non-empty list of texts.")
    return texts


def _dimensions(value: object) -> int:
    if value is None:
        return DIMENSIONS
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= DIMENSIONS:
        raise RequestError("INVALID_ARGUMENT",
                           f"dimensions is {value!r}; it must be a whole number from 1 to {DIMENSIONS}.")
    return value


def add_routes(app: web.Application, state: EmulatorState) -> None:
    async def embeddings(request: web.Request) -> web.Response:
        body = await read_json(request)
        texts, dimensions = _texts(body.get("input")), _dimensions(body.get("dimensions"))
        model = str(body.get("model", ""))
        data, tokens = [], 0
        for index, text in enumerate(texts):
            message = TextEmbeddingRequest(model_uri=model, text=text, dim=Int64Value(value=dimensions))
            answer = await unary(state, HttpContext(request), "TextEmbedding",
                                 partial(text_embedding, message), message)
            data.append({"index": index, "embedding": list(answer.embedding), "object": "embedding"})
            tokens += answer.num_tokens
        return json_response({"object": "list", "model": model, "data": data,
                              "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    app.router.add_post("/v1/embeddings", embeddings)
