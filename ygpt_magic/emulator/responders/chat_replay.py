"""Replay of the OpenAI-compatible chat API's real answers (``emulator/cassettes/http_chat/*.yaml``).

A chat-API request equal to a recorded one, to the same model, gets the recorded answer: its
text, its stream cut where the real one was cut, its tool calls, usage and finish reason. The
recorded request is read with the server's own chat-request reader, so "equal" means what it
means for gRPC replay (messages with tool calls and results, tools, tool choice, response
format; not the folder, version or sampling options), plus the model's name and the pictures.
The recorded answer becomes cumulative CompletionResponse messages, which the chat API writes
back out chunk for chunk. Requests that came over gRPC or REST are left to the gRPC replay.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import (
    Alternative,
    ContentUsage,
    FunctionCall,
    Message,
    ToolCall,
    ToolCallList,
)
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    CompletionResponse,
)

from .. import prompt as prompts
from ..attachments import attach
from ..errors import RequestError
from ..prompt import Prompt
from . import Generation
from .replay import BUILTIN_CASSETTES, request_key

CHAT_CASSETTES = BUILTIN_CASSETTES / "http_chat"
#: what a replayed chat answer's model says after "local server · ": the chat API's recordings
#: name no model version (gRPC replay says ``replay of 07.03.2024``), so plain ``replay``, as a
#: classifier recording without one says
ORIGIN = "replay"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml's is 20× faster on the 180 kB stream
_STATUS = {"stop": Alternative.ALTERNATIVE_STATUS_FINAL, "length": Alternative.ALTERNATIVE_STATUS_TRUNCATED_FINAL,
           "tool_calls": Alternative.ALTERNATIVE_STATUS_TOOL_CALLS,
           "content_filter": Alternative.ALTERNATIVE_STATUS_CONTENT_FILTER}


def chat_key(prompt: Prompt) -> str:
    return json.dumps([prompt.model.name, request_key(prompt), [image.sha256 for image in prompt.images]])


class ChatReplayResponder:
    """Answers chat-API requests that match a recorded one; None for everything else."""

    def __init__(self, paths: Iterable[str | Path] | None = None):
        files = sorted(CHAT_CASSETTES.glob("*.yaml")) if paths is None else [Path(p) for p in paths]
        self.completions: dict[str, tuple[CompletionResponse, ...]] = {}
        for path in files:
            cassette = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
            for interaction in cassette.get("interactions", ()):
                self._load(interaction)

    def _load(self, interaction: dict[str, Any]) -> None:
        from ..http.chat_request import completion_request  # the HTTP side reads chat requests

        request, response = interaction["request"], interaction["response"]
        if not request["uri"].endswith("/chat/completions") or response["status"]["code"] != 200:
            return
        try:
            message, extras = completion_request(json.loads(request["body"]))
            prompt = attach(prompts.parse(message, check_limit=False), extras)
        except RequestError:
            return
        body = response["body"]["string"]
        recorded = _from_stream(body) if body.startswith("data:") else _from_json(json.loads(body))
        self.completions.setdefault(chat_key(prompt), recorded)

    def respond(self, prompt: Prompt) -> Generation | None:
        if prompt.api != "chat":
            return None
        recorded = self.completions.get(chat_key(prompt))
        return Generation(recorded=recorded, origin=ORIGIN) if recorded else None


def _usage(usage: dict[str, int] | None) -> ContentUsage:
    usage = usage or {}
    return ContentUsage(input_text_tokens=usage.get("prompt_tokens", 0),
                        completion_tokens=usage.get("completion_tokens", 0),
                        total_tokens=usage.get("total_tokens", 0))


def _response(text: str, calls: list[dict[str, Any]], status: Alternative.AlternativeStatus.ValueType,
              usage: ContentUsage) -> CompletionResponse:
    message = Message(role="assistant", text=text)
    if calls:
        message.tool_call_list.CopyFrom(ToolCallList(tool_calls=[
            ToolCall(function_call=_function(call["function"]["name"], call["function"]["arguments"]))
            for call in calls]))
    return CompletionResponse(alternatives=[Alternative(message=message, status=status)], usage=usage)


def _function(name: str, arguments: str) -> FunctionCall:
    call = FunctionCall(name=name)
    call.arguments.update(json.loads(arguments or "{}"))
    return call


def _from_json(body: dict[str, Any]) -> tuple[CompletionResponse, ...]:
    choice = body["choices"][0]
    message = choice["message"]
    status = _STATUS.get(choice.get("finish_reason") or "stop", Alternative.ALTERNATIVE_STATUS_FINAL)
    text, calls = message.get("content") or "", message.get("tool_calls") or []
    return (_response(text, calls, status, _usage(body.get("usage"))),)


def _from_stream(body: str) -> tuple[CompletionResponse, ...]:
    """Cumulative responses, one per recorded text chunk, the last one final with the usage."""
    events = [json.loads(block.removeprefix("data:").strip()) for block in body.split("\n\n")
              if block.strip() and block.strip() != "data: [DONE]"]
    calls: dict[int, dict[str, Any]] = {}
    text, reason, usage, out = "", "stop", None, []
    for event in events:
        usage = event.get("usage") or usage
        for choice in event.get("choices", ()):
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text += delta["content"]
                out.append(_response(text, [], Alternative.ALTERNATIVE_STATUS_PARTIAL, ContentUsage()))
            for call in delta.get("tool_calls") or ():
                entry = calls.setdefault(call.get("index", 0), {"function": {"name": "", "arguments": ""}})
                entry["function"]["name"] += call.get("function", {}).get("name", "")
                entry["function"]["arguments"] += call.get("function", {}).get("arguments", "")
            reason = choice.get("finish_reason") or reason
    status = _STATUS.get(reason, Alternative.ALTERNATIVE_STATUS_FINAL)
    final = _response(text, [calls[i] for i in sorted(calls)], status, _usage(usage))
    if out and not calls:
        out[-1] = final
    else:
        out.append(final)
    return tuple(out)
