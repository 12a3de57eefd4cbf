"""What one server response becomes: an Answer, the same whichever API answered.

A gRPC completion result (GPTModelResult) and a chat-API result (ChatModelResult) both become
answers (``chat.values.Answer``) holding the whole text so far, its status, the model version,
the usage and any tool calls, so that the exchange, the reply cache and the renderers never ask
which API answered (client/sdk.py picks the conversion per request: ``Client._route``).
"""

from __future__ import annotations

from typing import Any

from ..chat.values import Answer, ToolCallItem, Usage
from . import chat_api
from .tools import tool_calls


class SdkAnswer(Answer):
    """One response from the server: the whole text so far (not a delta), with the SDK's usage.

    A streamed reply is hundreds of these and only the last one's usage is ever read, so
    ``usage`` is built from the SDK's on first access instead of per chunk (building it eagerly
    was a quarter of a streamed cell's CPU). The fields are set here rather than through
    ``Answer.__init__``: one call less per chunk.
    """

    __slots__ = ("_sdk_usage",)

    def __init__(self, text: str, status: str, model_version: str, sdk_usage: Any,
                 tool_calls: tuple[ToolCallItem, ...] = ()) -> None:
        self.text, self.status, self.model_version = text, status, model_version
        self.tool_calls, self.recorded, self._usage = tool_calls, "", None
        self._sdk_usage = sdk_usage  # the SDK's usage (untyped), None: a chat-API chunk without counts

    def _counted(self) -> Usage:
        """Our Usage from the SDK's, which is let go then: the rows' memo keeps answers by the
        hundred thousand, and each needs its counts, not the SDK's object."""
        sdk, self._sdk_usage = self._sdk_usage, None
        if sdk is None:
            return Usage()
        return Usage(input_tokens=sdk.input_text_tokens, completion_tokens=sdk.completion_tokens,
                     reasoning_tokens=getattr(sdk, "reasoning_tokens", 0), total_tokens=sdk.total_tokens)


def grpc_chunk(result: Any, previous: SdkAnswer | None) -> SdkAnswer:
    """Our answer from an SDK GPTModelResult; a usage-only message keeps the previous text."""
    if result.alternatives:
        alternative = result.alternatives[0]
        text, status = alternative.text, alternative.status.name
    else:
        text, status = (previous.text, previous.status) if previous else ("", "UNKNOWN")
    calls = tool_calls(result) if status == "TOOL_CALLS" else ()
    return SdkAnswer(text, status, result.model_version, result.usage, calls)


def chat_chunk(result: Any, previous: SdkAnswer | None) -> SdkAnswer:
    """Our answer from an SDK ChatModelResult, with the version its ``model`` URI reports."""
    text, status, usage = chat_api.chunk_values(result, previous)
    answer = SdkAnswer(text, status, chat_api.reported_version(result.model), usage)
    if usage is None and previous is not None:  # the counts so far, whether read yet or not
        answer._sdk_usage, answer._usage = previous._sdk_usage, previous._usage
    return answer
