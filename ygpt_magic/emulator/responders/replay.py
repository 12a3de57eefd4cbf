"""Replay of real responses recorded from Yandex Cloud (``emulator/cassettes/*.gprc.json``).

A request equal to a recorded one gets the recorded CompletionResponse messages, byte for byte in
content: the real chunking, tool calls and usage; the model version says it is a replay of the
recorded one (``local server · replay of 07.03.2024``), since the answer comes from here. Requests are equal when their
messages (with tool calls and results), tools, tool choice, parallel_tool_calls and response
format are; the model URI and completion options are ignored, so a client need not use the
recording's folder. This keeps the emulator honest about the shape of real streams.

Token counts: a replayed answer keeps the usage the real service reported, so TokenizeCompletion
of a recorded request answers the recorded tokens when the cassettes hold them (``ping``), and
otherwise the server's own tokens fitted to the recorded ``input_text_tokens``: a client that
counts before sending sees the number the answer reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from google.protobuf.json_format import ParseDict
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    CompletionRequest,
    CompletionResponse,
    TokenizeResponse,
)

from .. import prompt as prompts
from .. import templates
from ..errors import RequestError
from ..prompt import Prompt
from . import Generation

BUILTIN_CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
Tokens = list[tuple[str, bool]]


def request_key(prompt: Prompt) -> str:
    """What two requests must share to get the same recorded answer."""
    turns = [[m.role, m.text, [[c.name, c.arguments] for c in m.tool_calls],
              [[r.name, r.content] for r in m.tool_results]] for m in prompt.turns]
    tools = [[t.name, t.description, t.parameters] for t in prompt.tools]
    choice = [prompt.tool_choice.mode, prompt.tool_choice.function]
    return json.dumps([turns, tools, choice, prompt.parallel_tool_calls, prompt.json_object, prompt.json_schema],
                      sort_keys=True, ensure_ascii=False)


def _key(message: dict[str, Any]) -> str | None:
    try:
        return request_key(prompts.parse(ParseDict(message, CompletionRequest()), check_limit=False))
    except RequestError:
        return None


class Cassette:
    """The recorded completions and tokenizations of one or more cassette files."""

    def __init__(self) -> None:
        self.completions: dict[str, tuple[CompletionResponse, ...]] = {}
        self.tokens: dict[str, Tokens] = {}

    def load(self, path: str | Path) -> None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        pending: str | None = None   # a deferred request whose operation is still being polled
        for interaction in data.get("interactions", ()):
            request = interaction["request"]
            responses = interaction.get("response_stream") or [interaction.get("response")]
            first = responses[0] or {}
            if request["cls"] == "CompletionRequest" and (key := _key(request["message"])) is not None:
                if first.get("cls") == "CompletionResponse":
                    parsed = tuple(ParseDict(r["message"], CompletionResponse()) for r in responses)
                    self.completions.setdefault(key, parsed)
                elif first.get("cls") == "TokenizeResponse":
                    tokens = ParseDict(first["message"], TokenizeResponse()).tokens
                    self.tokens.setdefault(key, [(t.text, t.special) for t in tokens])
                elif first.get("cls") == "Operation":
                    pending = key
            elif pending and first.get("message", {}).get("done") and "response" in first["message"]:
                body = dict(first["message"]["response"])
                body.pop("@type", None)
                self.completions.setdefault(pending, (ParseDict(body, CompletionResponse()),))
                pending = None


def fit(tokens: Tokens, count: int) -> Tokens:
    """The same text in ``count`` tokens: split the longest pieces, or join neighbouring ones
    (special tokens are kept as they are). Joined, the text pieces still spell the prompt."""
    tokens = list(tokens)
    while len(tokens) < count:
        index = max(range(len(tokens)), key=lambda i: (not tokens[i][1]) * len(tokens[i][0]))
        text, special = tokens[index]
        if special or len(text) < 2:
            break
        half = len(text) // 2
        tokens[index:index + 1] = [(text[:half], False), (text[half:], False)]
    while len(tokens) > count:
        pair = next((i for i in range(len(tokens) - 1) if not tokens[i][1] and not tokens[i + 1][1]), None)
        if pair is None:
            break
        tokens[pair:pair + 2] = [(tokens[pair][0] + tokens[pair + 1][0].replace("▁", " "), False)]
    return tokens


class ReplayResponder:
    """Answers requests that match a recorded one; None for everything else."""

    def __init__(self, paths: Iterable[str | Path] | None = None):
        files = sorted(BUILTIN_CASSETTES.glob("*.gprc.json")) if paths is None else [Path(p) for p in paths]
        self.cassette = Cassette()
        for path in files:
            self.cassette.load(path)

    def respond(self, prompt: Prompt) -> Generation | None:
        recorded = self.cassette.completions.get(request_key(prompt))
        if not recorded:
            return None
        return Generation(recorded=recorded, origin=f"replay of {recorded[-1].model_version}")

    def tokens(self, prompt: Prompt) -> Tokens | None:
        """The tokens of a recorded request: recorded ones, or ours fitted to the recorded usage."""
        key = request_key(prompt)
        if key in self.cassette.tokens:
            return self.cassette.tokens[key]
        recorded = self.cassette.completions.get(key)
        if not recorded:
            return None
        ours = templates.for_model(prompt.model.name).tokens(prompt.turns, prompt.tools)
        return fit(ours, recorded[-1].usage.input_text_tokens)
