"""The REST transcoding of TextClassificationService, as the cloud's gateway serves it:
``POST /foundationModels/v1/textClassification`` (Classify) and
``POST /foundationModels/v1/fewShotTextClassification`` (FewShotClassify).

The body parses into the gRPC request and the gRPC service answers it, so auth, limits, replay,
faults and the request log are the same on both sides; the answer is the response message in
protobuf JSON (``inputTokens`` a string, as int64 is written).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from google.protobuf.message import Message
from yandex.cloud.ai.foundation_models.v1.text_classification import text_classification_service_pb2 as pb

from ..services.text_classification import TextClassificationService
from ..state import EmulatorState
from .body import M, parse_message, read_json
from .context import HttpContext
from .rest import PREFIX, to_json
from .status import json_response


def add_routes(app: web.Application, state: EmulatorState) -> None:
    service = TextClassificationService(state)

    async def answer(request: web.Request, message: M,
                     method: Callable[[M, HttpContext], Awaitable[Message]]) -> web.Response:
        parsed = parse_message(await read_json(request), message)
        return json_response(to_json(await method(parsed, HttpContext(request))))

    async def classify(request: web.Request) -> web.Response:
        return await answer(request, pb.TextClassificationRequest(), service.Classify)

    async def few_shot(request: web.Request) -> web.Response:
        return await answer(request, pb.FewShotTextClassificationRequest(), service.FewShotClassify)

    app.router.add_post(f"{PREFIX}/textClassification", classify)
    app.router.add_post(f"{PREFIX}/fewShotTextClassification", few_shot)
