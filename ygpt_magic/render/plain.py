"""Plain-text forms of what the rich form shows as structure: a request's messages, a tool call.

A terminal, a log and nbval read ``text/plain``, and JSON there turns every line of a prompt into
``\\n`` inside one long string. So a message's text is printed as its own lines, indented under
its role, and only what really is structure (tool calls, a schema) stays JSON.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from ..chat.values import Message

#: how the lines of a message, an argument or a result sit under their label
INDENT = "    "


def messages(sent: Sequence[Message], default: Callable[[Any], str] | None = None) -> str:
    """Each message as ``role:`` over its text's lines; any other part of it (tool calls and
    results, pictures, described by ``default``) as a labelled JSON value."""
    return "\n\n".join(_message(message, default) for message in sent)


def labelled(label: str, value: str) -> str:
    """``label:`` over ``value``'s lines, indented (an empty value reads ``(empty)``)."""
    return f"{label}:\n{textwrap.indent(value or '(empty)', INDENT, lambda _: True)}"


def structure(value: Any, default: Callable[[Any], str] | None = None) -> str:
    """A value that is structure (tool declarations, a schema) as indented JSON."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=default)


def tool_call(line: str, arguments: dict[str, Any], result: str) -> str:
    """A tool call's line over its labelled arguments and result, as the rich form folds them."""
    return "\n".join([line, textwrap.indent(
        "\n".join([labelled("arguments", structure(arguments)), labelled("result", result)]), INDENT)])


def _message(message: Message, default: Callable[[Any], str] | None) -> str:
    parts = [labelled(key, str(value) if key == "text" else structure(value, default))
             for key, value in message.items() if key != "role"]
    role = message.get("role", "message")
    if len(parts) == 1 and "text" in message:
        return labelled(role, message["text"])
    return labelled(role, "\n".join(parts))
