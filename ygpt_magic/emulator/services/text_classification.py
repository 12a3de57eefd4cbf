"""TextClassificationService: Classify (a tuned classifier) and FewShotClassify (a base model
given labels, and optionally samples).

Each call lives the life every unary RPC does (services/call.py): auth, the request log,
injected faults by method name (``Classify``, ``FewShotClassify``), one log line. A recorded
request gets the recorded answer (responders/classifier_replay.py); any other gets confidences
from word overlap (responders/classifier.py), its model version saying so
(``local server · word overlap``).
"""

from __future__ import annotations

from collections.abc import Sequence

from yandex.cloud.ai.foundation_models.v1.text_classification import text_classification_service_pb2 as pb
from yandex.cloud.ai.foundation_models.v1.text_classification import text_classification_service_pb2_grpc as pb_grpc
from yandex.cloud.ai.foundation_models.v1.text_classification.text_classification_pb2 import ClassificationLabel

from .. import classifiers
from ..responders.classifier import binary_confidence, confidences
from ..responders.classifier_replay import ClassifierReplay
from ..state import EmulatorState
from ..stream import SERVER
from .call import CallContext, unary

#: the model version of an answer this server worked out itself
SCORED = f"{SERVER} · word overlap"


def _predictions(labels: Sequence[str], values: Sequence[float]) -> list[ClassificationLabel]:
    return [ClassificationLabel(label=label, confidence=value) for label, value in zip(labels, values)]


class TextClassificationService(pb_grpc.TextClassificationServiceServicer):
    def __init__(self, state: EmulatorState, replay: ClassifierReplay | None = None):
        self.state = state
        self.replay = replay or ClassifierReplay()

    async def Classify(self, request: pb.TextClassificationRequest,
                       context: CallContext) -> pb.TextClassificationResponse:
        def answer() -> pb.TextClassificationResponse:
            labels = classifiers.tuned_classifier(request.model_uri).labels
            classifiers.check_text(request.text)
            recorded: pb.TextClassificationResponse | None = self.replay.answer(request)
            if recorded is not None:
                return recorded
            values = [binary_confidence(request.text, labels[0])] if len(labels) == 1 else confidences(
                request.text, labels)
            return pb.TextClassificationResponse(predictions=_predictions(labels, values), model_version=SCORED,
                                                 input_tokens=classifiers.classify_tokens(request.text))
        return await unary(self.state, context, "Classify", answer, request, model=True)

    async def FewShotClassify(self, request: pb.FewShotTextClassificationRequest,
                              context: CallContext) -> pb.FewShotTextClassificationResponse:
        def answer() -> pb.FewShotTextClassificationResponse:
            classifiers.prompt_classifier(request.model_uri)
            labels, samples = list(request.labels), [(s.text, s.label) for s in request.samples]
            classifiers.check_labels(labels)
            classifiers.check_text(request.text)
            recorded: pb.FewShotTextClassificationResponse | None = self.replay.answer(request)
            if recorded is not None:
                return recorded
            tokens = classifiers.few_shot_tokens(request.task_description, labels, samples, request.text)
            return pb.FewShotTextClassificationResponse(
                predictions=_predictions(labels, confidences(request.text, labels, samples)),
                model_version=SCORED, input_tokens=tokens)
        return await unary(self.state, context, "FewShotClassify", answer, request, model=True)
