"""What one server response becomes: a Chunk, the same whichever API answered.

A gRPC completion result (GPTModelResult) and a chat-API result (ChatModelResult) both become
Chunks holding the whole text so far, its status, the model version, the usage and any tool
calls, so that the exchange and the renderers never ask which API answered (client/sdk.py picks
the conversion per request: ``Client._route``).
"""

from __future__ import annotations

from typing import Any

from ..chat.values import ToolCallItem, Usage
from . import chat_api
from .tools import tool_calls


class Chunk:
    """One response from the server: the whole text so far (not a delta).

    A streamed reply is hundreds of these and only the last one's usage is ever read, so
    `usage` is built from the SDK's result on first access instead of per chunk (building it
    eagerly was a quarter of a streamed cell's CPU).
    """

    __slots__ = ("text", "status", "model_version", "tool_calls", "_sdk_usage", "_usage")

    def __init__(self, text: str, status: str, model_version: str, sdk_usage: Any,
                 tool_calls: tuple[ToolCallItem, ...] = ()) -> None:
        self.text = text
        self.status = status  # PARTIAL | FINAL | TRUNCATED_FINAL | CONTENT_FILTER | TOOL_CALLS | ...
        self.model_version = model_version
        self.tool_calls = tool_calls  # ({"name", "arguments"}, ...) when status is TOOL_CALLS
        self._sdk_usage = sdk_usage
        self._usage: Usage | None = None

    @property
    def usage(self) -> Usage:
        if self._usage is None and self._sdk_usage is None:  # a chat-API chunk without counts
            self._usage = Usage()
        if self._usage is None:
            sdk = self._sdk_usage
            self._usage = Usage(input_tokens=sdk.input_text_tokens,
                                completion_tokens=sdk.completion_tokens,
                                reasoning_tokens=getattr(sdk, "reasoning_tokens", 0),
                                total_tokens=sdk.total_tokens)
        return self._usage

    def __repr__(self) -> str:
        return f"<Chunk {self.status} {len(self.text)} chars>"


def grpc_chunk(result, previous: Chunk | None) -> Chunk:
    """Our Chunk from an SDK GPTModelResult; a usage-only message keeps the previous text."""
    if result.alternatives:
        alternative = result.alternatives[0]
        text, status = alternative.text, alternative.status.name
    else:
        text, status = (previous.text, previous.status) if previous else ("", "UNKNOWN")
    calls = tool_calls(result) if status == "TOOL_CALLS" else ()
    return Chunk(text, status, result.model_version, result.usage, calls)


def chat_chunk(result, previous: Chunk | None) -> Chunk:
    """Our Chunk from an SDK ChatModelResult, with the version its ``model`` URI reports."""
    text, status, usage = chat_api.chunk_values(result, previous)
    if usage is None and previous is not None:
        usage = previous._sdk_usage
    return Chunk(text, status, chat_api.reported_version(result.model), usage)
