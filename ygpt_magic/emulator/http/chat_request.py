"""An OpenAI-compatible chat request (``POST /v1/chat/completions``) as a gRPC CompletionRequest.

The chat API is the same model service behind another format, so the request is rewritten into
protobuf JSON of CompletionRequest and parsed like a REST body: from there on it takes the path
of every completion (validation, responders, faults, the request log). What CompletionRequest
cannot hold goes into ``Extras``: the pictures of ``image_url`` parts and parameters the local
server does not model (``top_k``, ``top_p``, ... which the SDK sends as ``extra_query``), which
are recorded and otherwise ignored, as a model that does not use them would.

Mapping: ``content`` (a string or text/image parts) → ``text``; the assistant's ``tool_calls``
(arguments as a JSON string) → ``toolCallList``; consecutive ``role: tool`` messages → one user
message with ``toolResultList`` (the function named by the call its ``tool_call_id`` answers; a
result that answers no earlier call is refused);
``tools``, ``tool_choice``, ``parallel_tool_calls``; ``response_format`` json_object/json_schema;
``temperature``, ``max_tokens`` / ``max_completion_tokens``; ``reasoning_effort`` → reasoning on.
"""

from __future__ import annotations

import json
from typing import Any

from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    CompletionRequest,
)

from ..attachments import Extras, Image, decode_image
from ..errors import RequestError
from .body import parse_message

#: body fields this module maps; anything else is an extra parameter
_MAPPED = {"model", "messages", "stream", "stream_options", "temperature", "max_tokens", "max_completion_tokens",
           "tools", "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort", "n"}
_EFFORTS = ("low", "medium", "high")


def _refuse(message: str) -> RequestError:
    return RequestError("INVALID_ARGUMENT", message)


def completion_request(body: dict[str, Any]) -> tuple[CompletionRequest, Extras]:
    """The CompletionRequest and the extras of a chat request body."""
    if body.get("n", 1) != 1:
        raise _refuse("n must be 1: the model gives one answer per request.")
    images: list[Image] = []
    proto: dict[str, Any] = {
        "modelUri": body.get("model", ""),
        "completionOptions": _options(body),
        "messages": _messages(body.get("messages"), images),
    }
    if "tools" in body:
        proto["tools"] = [_tool(index, tool) for index, tool in enumerate(_list(body["tools"], "tools"))]
    if body.get("tool_choice") is not None:
        proto["toolChoice"] = _tool_choice(body["tool_choice"])
    if body.get("parallel_tool_calls") is not None:
        proto["parallelToolCalls"] = body["parallel_tool_calls"]
    proto.update(_response_format(body.get("response_format")))
    parameters = {key: value for key, value in body.items() if key not in _MAPPED}
    return parse_message(proto, CompletionRequest()), Extras(tuple(images), parameters)


def _options(body: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"stream": bool(body.get("stream", False))}
    if body.get("temperature") is not None:
        options["temperature"] = body["temperature"]
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None:
        options["maxTokens"] = limit
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in (*_EFFORTS, "none"):
        raise _refuse(f"reasoning_effort is {effort!r}; use one of: {', '.join(_EFFORTS)} (or leave it out).")
    if effort in _EFFORTS:
        options["reasoningOptions"] = {"mode": "ENABLED_HIDDEN"}
    return options


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise _refuse(f"{name} must be a list, not {type(value).__name__}.")
    return value


def _messages(messages: Any, images: list[Image]) -> list[dict[str, Any]]:
    if messages is None:
        return []
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}   # tool_call_id → function name, from the assistant's calls
    for index, message in enumerate(_list(messages, "messages")):
        if not isinstance(message, dict):
            raise _refuse(f"Message {index} must be an object with role and content.")
        role = message.get("role")
        if role == "tool":
            result = {"functionResult": {"name": _answered(index, message, names),
                                         "content": _text(message.get("content"), index, images)}}
            if out and "toolResultList" in out[-1]:
                out[-1]["toolResultList"]["toolResults"].append(result)
            else:
                out.append({"role": "user", "toolResultList": {"toolResults": [result]}})
        elif role == "assistant" and message.get("tool_calls"):
            calls = [_call(index, call, names) for call in _list(message["tool_calls"], "tool_calls")]
            out.append({"role": "assistant", "toolCallList": {"toolCalls": calls}})
        else:
            out.append({"role": role or "", "text": _text(message.get("content"), index, images)})
    return out


def _answered(index: int, message: dict[str, Any], names: dict[str, str]) -> str:
    """The function a ``tool`` message gives the result of: the call its ``tool_call_id`` names,
    made by an earlier assistant message. A result that answers no call is refused, as
    OpenAI-compatible APIs refuse it: the model could not tell which function returned it."""
    call_id = str(message.get("tool_call_id") or "")
    if call_id not in names:
        raise _refuse(
            f"Message {index} is a tool result for tool_call_id {call_id!r}, which no earlier assistant "
            f"message's tool_calls has. Send the assistant's message with the call first (as the model returned "
            "it), and give the result that call's id as tool_call_id.")
    return names[call_id]


def _text(content: Any, index: int, images: list[Image]) -> str:
    """The text of a message's content; its image parts go to ``images``."""
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for part_index, part in enumerate(_list(content, f"Message {index}'s content")):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url", "") if isinstance(url, dict) else str(url or "")
            images.append(decode_image(url, index, part_index))
        else:
            raise _refuse(f"Message {index}, part {part_index} has type {kind!r}; use 'text' or 'image_url'.")
    return "\n".join(texts)


def _call(index: int, call: Any, names: dict[str, str]) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not function.get("name"):
        raise _refuse(f"Message {index} has a tool call without a function name.")
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except json.JSONDecodeError:
        raise _refuse(f"Message {index}: the arguments of the call to {function['name']!r} are not JSON.") from None
    if not isinstance(arguments, dict):
        raise _refuse(f"Message {index}: the arguments of the call to {function['name']!r} must be a JSON object.")
    names[str(call.get("id", ""))] = function["name"]
    return {"functionCall": {"name": function["name"], "arguments": arguments}}


def _tool(index: int, tool: Any) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or tool.get("type", "function") != "function":
        raise _refuse(f"Tool {index} must be {{'type': 'function', 'function': {{'name': ..., 'parameters': ...}}}}.")
    out = {key: function[key] for key in ("name", "description", "parameters") if function.get(key) is not None}
    if function.get("strict") is not None:
        out["strict"] = function["strict"]
    return {"function": out}


def _tool_choice(choice: Any) -> dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return {"mode": choice.upper()}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict) and choice["function"].get("name"):
        return {"functionName": choice["function"]["name"]}
    raise _refuse(f"tool_choice is {choice!r}; use 'auto', 'none', 'required' or "
                  "{'type': 'function', 'function': {'name': ...}}.")


def _response_format(response_format: Any) -> dict[str, Any]:
    if response_format is None:
        return {}
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "text":
        return {}
    if kind == "json_object":
        return {"jsonObject": True}
    if kind == "json_schema" and isinstance(response_format.get("json_schema"), dict):
        return {"jsonSchema": {"schema": response_format["json_schema"].get("schema", {})}}
    raise _refuse(f"response_format is {response_format!r}; use {{'type': 'json_object'}} or "
                  "{'type': 'json_schema', 'json_schema': {'name': ..., 'schema': {...}}}.")
