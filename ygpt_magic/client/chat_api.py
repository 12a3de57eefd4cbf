"""The SDK's chat API (``sdk.chat.completions``, OpenAI-compatible HTTP), for requests with pictures.

Pictures reach a multimodal model only through this API, so a request whose messages carry
``"images"`` (chat/values.py ``build_messages``) goes here; everything else keeps the gRPC API.
This module maps our side onto it and back, so the rest of the client (and exchange) sees the
same answers (chat.values.Answer) either way:

- messages: ``text`` → ``content``; a message with pictures → content parts, the text first,
  then one ``image_url`` part a picture with its bytes as a ``data:image/...;base64`` URL (the
  form the SDK's own multimodal example sends); earlier tool calls (chat/tooluse.py) → the
  assistant's ``tool_calls`` with an id each, and their results → one ``role: tool`` message
  per call naming that id, as the OpenAI-compatible API expects (it has no calls by name);
- options: temperature, max tokens, JSON answers, reasoning (``reasoning_effort``);
- retries: the SDK sends this API's request once; a 429 or 503 is retried here as gRPC's
  statuses are (client/retries.py);
- results: the SDK yields the whole text so far, like the gRPC stream; the open models end with a
  usage-only chunk (status ``USAGE``), which keeps the finished status and brings the counts; one
  that follows unfinished text ends a reply cut at max tokens (``chunk_values``);
- the model version: this API reports only the model's URI (``gpt://gemma-3-27b-it/latest``),
  whose tail is the label asked for, not a version, so the footer says the version was not
  reported, instead of showing nothing or another model's; a server that puts a version there
  (the local server: ``.../local server · scripted``) has it shown.

Where the API lives is the SDK's ``service_map["http_completions"]`` (client/loader.py): the
cloud's default, the local server's HTTP side, or the address ``%ygpt connect --http`` gave.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from ..chat.options import RequestOptions
from ..chat.values import Message, ToolCallItem
from ..modelname import VERSIONS, model_name
from . import retries
from .models import configured

#: what a reply's model version reads when the chat API named only a label
UNREPORTED = "version not reported"


def has_pictures(messages: Sequence[Message]) -> bool:
    return any(message.get("images") for message in messages)


def text_messages(messages: Sequence[Message]) -> list[Message]:
    """The messages without their pictures (what the gRPC tokenizer can count)."""
    return [{"role": m["role"], "text": m["text"]} if "images" in m else m for m in messages]


def chat_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Our messages as the chat API takes them."""
    out: list[dict[str, Any]] = []
    call_ids: list[str] = []  # the ids of the last message's calls, which its results answer
    for message in messages:
        if "tool_calls" in message:
            call_ids = [f"call_{len(out)}_{index}" for index in range(len(message["tool_calls"]))]
            out.append(_calls_message(message["tool_calls"], call_ids))
        elif "tool_results" in message:
            out += [{"role": "tool", "tool_call_id": call_id, "content": result["content"]}
                    for call_id, result in zip(call_ids, message["tool_results"])]
        else:
            out.append(_text_message(message))
    return out


def _calls_message(calls: list[ToolCallItem], call_ids: list[str]) -> dict[str, Any]:
    return {"role": "assistant", "tool_calls": [
        {"id": call_id, "type": "function",
         "function": {"name": call["name"], "arguments": json.dumps(call["arguments"], ensure_ascii=False)}}
        for call_id, call in zip(call_ids, calls)]}


def _text_message(message: Message) -> dict[str, Any]:
    pictures = message.get("images") or ()
    if not pictures:
        return {"role": message["role"], "content": message["text"]}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message["text"]}]
    parts += [{"type": "image_url", "image_url": {"url": _data_url(picture)}} for picture in pictures]
    return {"role": message["role"], "content": parts}


def _data_url(picture: Any) -> str:
    return f"data:{picture.mime};base64,{base64.b64encode(picture.data).decode('ascii')}"


def chat_model(sdk: Any, options: RequestOptions, retry_policy: Any) -> Any:
    """The SDK's chat model object for a request's resolved options, with the retries of 429 and
    503 that the SDK gives gRPC's statuses but not this API (retries.RetriedChat), by the
    ``retry_policy`` the SDK was built with (loader.make_policy; the Client keeps it)."""
    return retries.RetriedChat(configured(sdk.chat.completions, options, reasoning_mode="medium"), retry_policy)


def chunk_values(result: Any, previous: Any) -> tuple[str, str, Any]:
    """(text so far, status, usage or None) of one chat-API result; a usage-only chunk keeps the
    previous chunk's text and finished status.

    The server sends the usage chunk only after the chunk that ends the reply, so a usage chunk
    that follows a PARTIAL one means the SDK dropped that end: it drops a finish chunk with an
    empty delta unless its reason is ``stop`` (the recordings end every open model's stream with
    such a chunk). The open models' only other text-ending reason is ``length``, a reply cut at
    max tokens: TRUNCATED_FINAL, as over gRPC, not a stream that broke off (exchange.py)."""
    status = result.status.name
    if status == "USAGE" and previous is not None:
        return previous.text, _finished(previous.status), result.usage
    return result.text, status, result.usage


def _finished(status: str) -> str:
    return "TRUNCATED_FINAL" if status == "PARTIAL" else status


def reported_version(model_uri: str) -> str:
    """The model version a chat-API answer's ``model`` reports: the URI's tail unless it is a label."""
    read = model_name(model_uri)
    tail = read.version or read.name   # gpt://<model>/latest names no folder: its label is the name
    return UNREPORTED if not tail or tail in VERSIONS else tail


def picture_sizes(messages: Sequence[Message]) -> tuple[int, ...]:
    """The bytes of each picture the messages carry (before base64), for an error about a
    request too large for the chat API to say what made it so."""
    return tuple(len(picture.data) for message in messages for picture in message.get("images") or ())
