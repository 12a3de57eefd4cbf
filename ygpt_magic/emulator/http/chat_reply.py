"""CompletionResponse messages written as the OpenAI-compatible chat API's answers.

The recordings (``cassettes/http_chat/``) show two dialects, by the model behind the API:

* YandexGPT and Yandex's llama: ids without a prefix, the model URI with its folder, tool call ids equal to the
  function name; a stream's first chunk holds the role with the first text, the last chunk holds
  the finish reason with the last text, tool calls come whole in one chunk, and no usage chunk.
* the open models (qwen3, gpt-oss, gemma; vLLM-served): ids ``chatcmpl-...``, the model
  URI without the folder; a stream opens with a role-only chunk, sends text deltas, tool calls as
  a name chunk then argument chunks, a finish chunk with an empty delta, then a usage chunk with
  no choices. Reasoning models add ``reasoning_content`` (streamed first).

Streams are cumulative on the gRPC side; here each chunk carries only what is new.

Where the cloud's ``model`` ends with the label asked for (``latest``), this server puts the
version its gRPC side reports (``gpt://gemma-3-27b-it/local server · scripted``: stream.py
``served_by``), the one field of the answer the SDK keeps besides the text, so a reply over this
API says it came from the local server too.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import MessageToDict
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import Alternative
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import CompletionResponse

FINISH_REASONS = {
    Alternative.ALTERNATIVE_STATUS_FINAL: "stop",
    Alternative.ALTERNATIVE_STATUS_TRUNCATED_FINAL: "length",
    Alternative.ALTERNATIVE_STATUS_TOOL_CALLS: "tool_calls",
    Alternative.ALTERNATIVE_STATUS_CONTENT_FILTER: "content_filter",
}


#: model name prefixes that answer in the YandexGPT dialect
YANDEX_DIALECT = ("yandexgpt", "llama")


@dataclass(frozen=True)
class Dialect:
    yandex: bool

    @classmethod
    def of(cls, model_uri: str) -> Dialect:
        parts = model_uri.split("://", 1)[-1].split("/")
        return cls(yandex=len(parts) > 1 and parts[1].startswith(YANDEX_DIALECT))


class ChatReply:
    """The answer to one chat request: ``completion()`` for a plain one, ``chunks()`` per streamed
    response then ``closing()`` for a stream."""

    def __init__(self, model_uri: str, reasoning: str | None = None):
        self.dialect = Dialect.of(model_uri)
        self.id = ("" if self.dialect.yandex else "chatcmpl-") + str(uuid.uuid4())
        self.created = int(time.time())
        self.model_uri = model_uri if self.dialect.yandex else _without_folder(model_uri)
        self.reasoning = None if self.dialect.yandex else reasoning
        self._sent = ""
        self._opened = False
        self._last: CompletionResponse | None = None

    def completion(self, response: CompletionResponse) -> dict[str, Any]:
        self._last = response
        alternative = response.alternatives[0]
        message: dict[str, Any] = {"role": "assistant", "content": alternative.message.text}
        if self.reasoning:
            message["reasoning_content"] = self.reasoning
        calls = self._calls(alternative)
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "finish_reason": FINISH_REASONS.get(alternative.status, "stop")}
        return {**self._head("chat.completion"), "choices": [choice], "usage": self._usage(response)}

    def chunks(self, response: CompletionResponse) -> list[dict[str, Any]]:
        """The chunks one (cumulative) response adds to the stream."""
        self._last = response
        alternative = response.alternatives[0]
        final = alternative.status != Alternative.ALTERNATIVE_STATUS_PARTIAL
        first, self._opened = not self._opened, True
        deltas: list[dict[str, Any]] = []
        if first and not self.dialect.yandex:
            deltas.append({"role": "assistant"})
            if self.reasoning:
                deltas.append({"reasoning_content": self.reasoning})
        text = alternative.message.text
        new = text[len(self._sent):] if text.startswith(self._sent) else text
        self._sent = text
        calls = self._calls(alternative)
        if calls and self.dialect.yandex:
            deltas.append({"tool_calls": calls})
        elif calls:
            for call in calls:
                deltas.append({"tool_calls": [{**call, "function": {**call["function"], "arguments": ""}}]})
                deltas.append({"tool_calls": [{"index": call["index"], "id": "", "type": "",
                                               "function": {"name": "", "arguments": call["function"]["arguments"]}}]})
        elif new:
            deltas.append({"content": new})
        if first and self.dialect.yandex:
            deltas[:1] = [{"role": "assistant", **(deltas[0] if deltas else {})}]
        chunks = [self._chunk(delta) for delta in deltas]
        if final:
            reason = FINISH_REASONS.get(alternative.status, "stop")
            if self.dialect.yandex and chunks:
                chunks[-1]["choices"][0]["finish_reason"] = reason
            else:
                chunks.append(self._chunk({}, reason))
        return chunks

    def closing(self) -> list[dict[str, Any]]:
        """What follows the last response: the usage chunk of the open models' dialect."""
        if self.dialect.yandex or self._last is None:
            return []
        return [{**self._head("chat.completion.chunk"), "choices": [], "usage": self._usage(self._last)}]

    def _head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self._model()}

    def _model(self) -> str:
        """The model URI with the served version in place of its label (see the module's doc)."""
        version = self._last.model_version if self._last is not None else ""
        return f"{self.model_uri.rpartition('/')[0]}/{version}" if version else self.model_uri

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "delta": delta}
        if finish_reason:
            choice["finish_reason"] = finish_reason
        return {**self._head("chat.completion.chunk"), "choices": [choice]}

    def _calls(self, alternative: Alternative) -> list[dict[str, Any]]:
        calls = []
        for index, call in enumerate(alternative.message.tool_call_list.tool_calls):
            name = call.function_call.name
            arguments = json.dumps(_plain(MessageToDict(call.function_call.arguments)), ensure_ascii=False,
                                   separators=(",", ":"))
            call_id = name if self.dialect.yandex else \
                "chatcmpl-tool-" + hashlib.sha1(f"{self.id}{index}{name}".encode()).hexdigest()[:32]
            calls.append({"index": index, "id": call_id, "type": "function",
                          "function": {"name": name, "arguments": arguments}})
        return calls

    @staticmethod
    def _usage(response: CompletionResponse) -> dict[str, Any]:
        usage = response.usage
        out: dict[str, Any] = {"prompt_tokens": usage.input_text_tokens, "total_tokens": usage.total_tokens,
                               "completion_tokens": usage.completion_tokens}
        if usage.completion_tokens_details.reasoning_tokens:
            out["completion_tokens_details"] = {"reasoning_tokens": usage.completion_tokens_details.reasoning_tokens}
        return out


def _without_folder(model_uri: str) -> str:
    scheme, sep, rest = model_uri.partition("://")
    parts = rest.split("/")
    return f"{scheme}://{'/'.join(parts[1:])}" if sep and len(parts) > 1 else model_uri


def _plain(value: Any) -> Any:
    """JSON values from a protobuf Struct, with whole floats back as integers (5.0 → 5)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
