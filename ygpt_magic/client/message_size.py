"""Does a request fit in one gRPC message? Checked before it is sent.

The SDK opens its channels with no size options, so gRPC's default holds: a message is at most
4 MiB, the most the cloud's servers (and the local server) take and the SDK's channels receive.
A bigger request is refused by the server as RESOURCE_EXHAUSTED, which the SDK retries like a
quota error for seconds before it reads as "quota exceeded". Counting its bytes here costs a pass
over its text and says what is too big, and by how much, before anything is sent. (Pictures go
over the chat API, HTTP, which has no such limit; the count is of what travels by gRPC.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ..chat.values import Extras, Message
from ..errors import MessageTooLarge

#: gRPC's default largest message, in bytes (grpc.max_receive_message_length)
GRPC_MESSAGE_LIMIT = 4 * 1024 * 1024
#: bytes each message adds around its text (role, field tags and lengths), generously
_PER_MESSAGE = 32
#: bytes of the request's other fields (model URI, options), generously
_REST = 1024
#: gRPC's own words for a message over the limit: "Received message larger than max (N vs. M)"
_OVER_LIMIT = re.compile(r"larger than max \((\d+) vs\. (\d+)\)")


def check(messages: Sequence[Message], extras: Extras | None = None) -> None:
    """MessageTooLarge, naming the largest part, if the request cannot fit in one message.

    A request whose characters could not reach the limit even at 4 UTF-8 bytes each (a chat of
    1,000 turns is about a quarter of it) is let through on that count alone: encoding every
    message of the history again at each cell was most of what a long chat cost a cell."""
    if not extras and _most_bytes(messages) <= GRPC_MESSAGE_LIMIT:
        return
    parts = [(_part_name(index, message, len(messages)), _size(message))
             for index, message in enumerate(messages)]
    if extras:
        parts.append(("the tool declarations and the schema", _bytes(json.dumps(extras, default=str))))
    size = _REST + sum(part_size for _, part_size in parts)
    if size > GRPC_MESSAGE_LIMIT:
        raise MessageTooLarge(size, GRPC_MESSAGE_LIMIT, max(parts, key=lambda part: part[1]))


def _most_bytes(messages: Sequence[Message]) -> int:
    """At most how many bytes the request takes: 4 a character of text, plus the exact size of
    any tool calls and results."""
    chars = sum(len(message.get("text", "")) for message in messages)
    tools = sum(_size(message) for message in messages if "tool_calls" in message or "tool_results" in message)
    return _REST + 4 * chars + _PER_MESSAGE * len(messages) + tools


def _size(message: Message) -> int:
    """Bytes of one message: its text, or its calls' names and arguments, or its results."""
    calls = [(call["name"], call["arguments"]) for call in message.get("tool_calls", ())]
    results = [(result["name"], result["content"]) for result in message.get("tool_results", ())]
    text = message.get("text", "") + (json.dumps(calls, default=str) if calls else "")
    return _bytes(text) + sum(_bytes(f"{name}{content}") for name, content in results) + _PER_MESSAGE


def _bytes(text: str) -> int:
    """UTF-8 bytes of ``text`` (a lone surrogate counted, not raised: refusing it is not ours)."""
    return len(text.encode("utf-8", "surrogatepass"))


def _part_name(index: int, message: Message, count: int) -> str:
    """A message as the user knows it: the prompt, the system message, a tool's results, a turn."""
    if "tool_results" in message:
        return "the results of " + ", ".join(sorted({r["name"] for r in message["tool_results"]}))
    if "tool_calls" in message:
        return "the model's calls to " + ", ".join(sorted({c["name"] for c in message["tool_calls"]}))
    if message["role"] == "system":
        return "the system message"
    if index == count - 1:
        return "the new prompt (the cell's text, with its {values} filled in)"
    return f"an earlier turn of the chat (message {index + 1} of {count})"


def reply_over_limit(details: str) -> MessageTooLarge | None:
    """MessageTooLarge for gRPC's "larger than max" about a reply; None for other details. (A
    request over the limit is refused before it is sent, so one that gets here is the reply.)"""
    found = _OVER_LIMIT.search(details)
    return MessageTooLarge(int(found[1]), int(found[2])) if found else None
