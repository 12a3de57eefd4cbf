"""Tool calls as chat values: what the model asked for, what was sent back, and the messages
they add to a request's history.

Plain data (names, JSON arguments, result text), so a turn with tool calls is saved, loaded,
shown and sent again exactly like one without; the chat layer never holds the functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .values import Message


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for in round ``round`` (1 = its first answer), and its result:
    ``result`` is the text the model got back, ``summary`` its short form for the display."""

    name: str
    arguments: dict[str, Any]
    result: str
    round: int = 1
    summary: str = ""
    error: bool = False
    elapsed: float = field(default=0.0, compare=False)


def tool_messages(calls: tuple[ToolCall, ...]) -> list[Message]:
    """The messages ``calls`` add between a prompt and its answer: per round, the assistant's
    calls and then their results, in the shape the client sends (``tool_calls`` /
    ``tool_results``, as the SDK's ``toolCallList`` / ``toolResultList``)."""
    messages: list[Message] = []
    for _, group in groupby(calls, key=lambda call: call.round):
        round_calls = list(group)
        messages.append({"role": "assistant", "tool_calls": [
            {"name": call.name, "arguments": call.arguments} for call in round_calls]})
        messages.append({"role": "user", "tool_results": [
            {"name": call.name, "content": call.result} for call in round_calls]})
    return messages


def tool_size(calls: tuple[ToolCall, ...]) -> int:
    """UTF-8 bytes the calls add to a request (for the context-budget bound), with an allowance
    per call for the fields around them."""
    return sum(2 * len(call.name.encode()) + len(repr(call.arguments).encode())
               + len(call.result.encode()) + 16 for call in calls)


def message_text(message: Message) -> str:
    """Any message as a person reads it: its text, or its calls (``🔧 get_sales({"region":
    "north"})``), or its results (``get_sales → 1204``), one per line."""
    if "tool_calls" in message:
        return "\n".join(f"🔧 {call['name']}({json.dumps(call['arguments'], ensure_ascii=False)})"
                         for call in message["tool_calls"])
    if "tool_results" in message:
        return "\n".join(f"{result['name']} → {result['content']}"
                         for result in message["tool_results"])
    return message["text"]


def message_role(message: Message) -> str:
    """Who a message is from, as history and transcripts label it."""
    return "tool results" if "tool_results" in message else message["role"]
