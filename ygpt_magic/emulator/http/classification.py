"""The REST transcoding of TextClassificationService, as the cloud's gateway serves it:
``POST /foundationModels/v1/textClassification`` (Classify) and
``POST /foundationModels/v1/fewShotTextClassification`` (FewShotClassify).

The body parses into the gRPC request and the gRPC service answers it, so auth, limits, replay,
faults and the request log are the same on both sides; the answer is the response message in
protobuf JSON (``inputTokens`` a string, as int64 is written).
"""

from __future__ import annotations

from aiohttp import web
from yandex.cloud.ai.foundation_models.v1.text_classification import text_classification_service_pb2 as pb

from ..services.text_classification import TextClassificationService
from ..state import EmulatorState
from .rest import PREFIX, unary


def add_routes(app: web.Application, state: EmulatorState) -> None:
    service = TextClassificationService(state)

    async def classify(request: web.Request) -> web.Response:
        return await unary(request, pb.TextClassificationRequest(), service.Classify)

    async def few_shot(request: web.Request) -> web.Response:
        return await unary(request, pb.FewShotTextClassificationRequest(), service.FewShotClassify)

    app.router.add_post(f"{PREFIX}/textClassification", classify)
    app.router.add_post(f"{PREFIX}/fewShotTextClassification", few_shot)
