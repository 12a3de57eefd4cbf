"""Replay of real responses recorded from Yandex Cloud (``emulator/cassettes/*.gprc.json``).

A request whose messages equal a recorded request's messages gets the recorded CompletionResponse
messages, byte for byte in content: the real chunking, usage and model version. This keeps the
emulator honest about the shape of real streams.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from google.protobuf.json_format import ParseDict
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (  # pylint: disable=no-name-in-module
    CompletionResponse,
)

from ..prompt import Prompt
from . import Generation

BUILTIN_CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
_Key = tuple[tuple[str, str], ...]


def load_cassette(path: Path) -> dict[_Key, tuple[CompletionResponse, ...]]:
    """The recorded completions of one cassette, keyed by their messages."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    recorded: dict[_Key, tuple[CompletionResponse, ...]] = {}
    for interaction in data.get("interactions", ()):
        request = interaction["request"]
        if request["cls"] != "CompletionRequest":
            continue
        responses = interaction.get("response_stream") or [interaction.get("response")]
        if not responses or any(r is None or r["cls"] != "CompletionResponse" for r in responses):
            continue   # deferred requests answer with an Operation: replayed through the Get below
        key = tuple((m.get("role", ""), m.get("text", "")) for m in request["message"].get("messages", ()))
        recorded[key] = tuple(ParseDict(r["message"], CompletionResponse()) for r in responses)
    for key, final in _operation_results(data).items():
        recorded.setdefault(key, (final,))
    return recorded


def _operation_results(data: dict) -> dict[_Key, CompletionResponse]:
    """Deferred completions: the request that created an operation → the operation's result."""
    results: dict[_Key, CompletionResponse] = {}
    pending: _Key | None = None
    for interaction in data.get("interactions", ()):
        request, response = interaction["request"], interaction.get("response") or {}
        if request["cls"] == "CompletionRequest" and response.get("cls") == "Operation":
            pending = tuple((m.get("role", ""), m.get("text", "")) for m in request["message"].get("messages", ()))
        elif pending and response.get("message", {}).get("done") and "response" in response["message"]:
            body = dict(response["message"]["response"])
            body.pop("@type", None)
            results[pending] = ParseDict(body, CompletionResponse())
            pending = None
    return results


class ReplayResponder:
    """Answers requests that match a recorded one; None for everything else."""

    def __init__(self, paths: Iterable[str | Path] | None = None):
        files = sorted(BUILTIN_CASSETTES.glob("*.gprc.json")) if paths is None else [Path(p) for p in paths]
        self._recorded: dict[_Key, tuple[CompletionResponse, ...]] = {}
        for path in files:
            self._recorded.update(load_cassette(path))

    def respond(self, prompt: Prompt) -> Generation | None:
        recorded = self._recorded.get(prompt.messages)
        return Generation(recorded=recorded) if recorded else None
