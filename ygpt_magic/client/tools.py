"""Tools and typed answers in the SDK's terms: plain values in, SDK objects out, and back.

The chat layer keeps tool calls as plain dicts (``{"role": "assistant", "tool_calls": [{"name",
"arguments"}]}`` and ``{"role": "user", "tool_results": [{"name", "content"}]}``). The SDK takes a
tool-results dict as it is, but an assistant message with calls only as an object carrying the
protobuf ``ToolCallList`` (what its own result objects are when an example appends them to the
history), so :func:`sdk_messages` builds that object from the plain dict. Nothing else here keeps
state; ``sdk.py`` calls these when a request has tools or a schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..chat.values import Message, ToolCallItem

#: the string values of tool_choice the API knows; any other value names a tool
CHOICE_MODES = ("auto", "none", "required")


@dataclass(frozen=True)
class _ToolCallMessage:
    """An assistant message made of tool calls, in the shape the SDK's ``message_to_proto``
    reads (``role``, ``text``, ``tool_calls._proto_origin``)."""

    role: str
    text: str
    tool_calls: Any


@dataclass(frozen=True)
class _CallList:
    _proto_origin: Any

    def __bool__(self) -> bool:
        return True


def sdk_messages(messages: Sequence[Message]) -> list[Any]:
    """``messages`` as the SDK takes them: unchanged, except tool-call messages."""
    if not any("tool_calls" in message for message in messages):
        return list(messages)
    return [_tool_call_message(m) if "tool_calls" in m else m for m in messages]


def _tool_call_message(message: Message) -> _ToolCallMessage:
    """The SDK reads only the protobuf of an assistant message of calls."""
    return _build(message.get("role", "assistant"), message["tool_calls"])


def _build(role: str, tool_calls: Sequence[ToolCallItem]) -> _ToolCallMessage:
    from google.protobuf.struct_pb2 import Struct
    from yandex.cloud.ai.foundation_models.v1 import text_common_pb2 as proto

    calls = []
    for call in tool_calls:
        arguments = Struct()
        arguments.update(call["arguments"])
        calls.append(proto.ToolCall(function_call=proto.FunctionCall(name=call["name"],
                                                                    arguments=arguments)))
    return _ToolCallMessage(role=role, text="", tool_calls=_CallList(proto.ToolCallList(tool_calls=calls)))


def configure_settings(sdk: Any, tools: Sequence[dict[str, Any]], tool_choice: str | None,
                       response_format: dict[str, Any] | None) -> dict[str, Any]:
    """The ``model.configure(...)`` settings for a request's tools, tool choice and schema."""
    settings: dict[str, Any] = {}
    if tools:
        settings["tools"] = [sdk.tools.function(name=tool["name"], description=tool["description"],
                                                parameters=tool["parameters"]) for tool in tools]
    if tool_choice is not None:
        settings["tool_choice"] = tool_choice if tool_choice in CHOICE_MODES else \
            {"type": "function", "function": {"name": tool_choice}}
    if response_format is not None:
        settings["response_format"] = response_format
    return settings


def tool_calls(result: Any) -> tuple[ToolCallItem, ...]:
    """The calls in an SDK result as plain ``{"name", "arguments"}`` dicts (arguments as the
    service sent them: numbers are floats)."""
    calls = getattr(result, "tool_calls", None) or ()
    return tuple(ToolCallItem(name=call.function.name, arguments=dict(call.function.arguments or {}))
                 for call in calls if call.function is not None)
