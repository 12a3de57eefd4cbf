"""Replay of the classifications recorded from Yandex Cloud (``cassettes/classifiers/``).

A Classify or FewShotClassify request equal to a recorded one gets the recorded predictions and
input tokens; its model version says the answer is a replay, and of which version
(``local server · replay of 23.10.2024``). Requests are equal when the classifier (the URI after
the folder, so any folder id works), the task description, the labels, the samples and the text
are.
"""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf.json_format import ParseDict
from google.protobuf.message import Message
from yandex.cloud.ai.foundation_models.v1.text_classification import text_classification_service_pb2 as pb

from ..classifiers import path_of
from ..stream import SERVER

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "classifiers"
#: recorded request type → its response type
_PAIRS: dict[str, tuple[type[Message], type[Message]]] = {
    "TextClassificationRequest": (pb.TextClassificationRequest, pb.TextClassificationResponse),
    "FewShotTextClassificationRequest": (pb.FewShotTextClassificationRequest, pb.FewShotTextClassificationResponse),
}


def request_key(request: Message) -> str:
    """What two classification requests must share to get the same recorded answer."""
    samples = [[s.text, s.label] for s in getattr(request, "samples", ())]
    return json.dumps([type(request).__name__, path_of(request.model_uri), getattr(request, "task_description", ""),
                       list(getattr(request, "labels", ())), samples, request.text], ensure_ascii=False)


class ClassifierReplay:
    """The recorded classifications; ``answer`` gives the one for a request, or None."""

    def __init__(self, folder: Path = CASSETTES):
        self.answers: dict[str, Message] = {}
        for path in sorted(folder.glob("*.gprc.json")):
            self._load(path)

    def _load(self, path: Path) -> None:
        for interaction in json.loads(path.read_text(encoding="utf-8")).get("interactions", ()):
            request, response = interaction["request"], interaction.get("response") or {}
            if request["cls"] in _PAIRS:
                request_type, response_type = _PAIRS[request["cls"]]
                key = request_key(ParseDict(request["message"], request_type()))
                self.answers.setdefault(key, ParseDict(response["message"], response_type()))

    def answer(self, request: Message) -> Message | None:
        """A copy of the recorded answer, its version marked as a replay from here."""
        recorded = self.answers.get(request_key(request))
        if recorded is None:
            return None
        answer = type(recorded)()
        answer.CopyFrom(recorded)
        origin = f"replay of {recorded.model_version}" if recorded.model_version else "replay"
        answer.model_version = f"{SERVER} · {origin}"
        return answer
