"""``POST /v1/embeddings``: text embeddings for the SDK's ``sdk.chat.text_embeddings``.

The vectors are deterministic, not semantic: hashed character trigrams of the lower-cased text,
L2-normalised, 256 numbers like the real ``text-search-doc`` / ``text-search-query``. Texts
that share words get close vectors, so a search example picks a plausible document. Each input
is one call through the shared life of a unary RPC (auth, the request log, injected faults under
the method name ``TextEmbedding``, one log line), as the gRPC EmbeddingsService would be.
"""

from __future__ import annotations

import math
import zlib

from aiohttp import web
from yandex.cloud.ai.foundation_models.v1.embedding.embedding_service_pb2 import (
    TextEmbeddingRequest,
)

from .. import tokenizer
from ..errors import RequestError
from ..services.call import unary
from ..state import EmulatorState
from .body import read_json
from .context import HttpContext
from .status import json_response

MODELS = ("text-search-doc", "text-search-query")
DIMENSIONS = 256


def embedding(text: str, dimensions: int = DIMENSIONS) -> list[float]:
    """The vector of one text."""
    vector = [0.0] * dimensions
    padded = f"  {text.lower()}  "
    for start in range(len(padded) - 2):
        vector[zlib.crc32(padded[start:start + 3].encode()) % dimensions] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [round(value / norm, 6) for value in vector]


def check_model(uri: str) -> None:
    scheme, _, rest = uri.partition("://")
    parts = rest.split("/")
    if scheme != "emb" or len(parts) not in (2, 3) or parts[1] not in MODELS:
        raise RequestError("NOT_FOUND", f"The embedding model {uri!r} is not served here; use "
                                        f"emb://<folder>/<model>[/latest] with one of: {', '.join(MODELS)}.")


def _texts(value) -> list[str]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise RequestError("INVALID_ARGUMENT", "input must be a text or a non-empty list of texts.")
    return texts


def _dimensions(value) -> int:
    if value is None:
        return DIMENSIONS
    if not isinstance(value, int) or not 1 <= value <= DIMENSIONS:
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
            def answer(text: str = text) -> list[float]:
                check_model(model)
                return embedding(text, dimensions)
            vector = await unary(state, HttpContext(request), "TextEmbedding", answer,
                                 TextEmbeddingRequest(model_uri=model, text=text))
            data.append({"index": index, "embedding": vector, "object": "embedding"})
            tokens += tokenizer.count(text)
        return json_response({"object": "list", "model": model, "data": data,
                              "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    app.router.add_post("/v1/embeddings", embeddings)
