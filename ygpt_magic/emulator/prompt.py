"""What the server understood from a request: validated messages and options.

Parsing and validation live here, apart from gRPC, so every service (streaming, deferred,
tokenizer) refuses the same bad requests with the same INVALID_ARGUMENT / NOT_FOUND messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import ReasoningOptions  # pylint: disable=no-name-in-module

from . import tokenizer
from .errors import RequestError
from .models import ModelInfo, resolve_model

_ROLES = ("system", "user", "assistant")
_ENABLED_HIDDEN = ReasoningOptions.ReasoningMode.ENABLED_HIDDEN


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the server received it; tests assert on these (``server.requests``)."""

    method: str                      # "Completion", "AsyncCompletion", "TokenizeCompletion", "Tokenize"
    model_uri: str
    messages: list[dict[str, str]]   # [{"role", "text"}], in the order sent
    stream: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, reasoning, json, json_schema


@dataclass(frozen=True)
class Prompt:
    """A validated completion request, what responders answer."""

    model: ModelInfo
    messages: tuple[tuple[str, str], ...]   # (role, text)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning: bool = False
    json_schema: dict | None = None         # the schema for json_schema requests
    json_object: bool = False               # any JSON object (json_object requests)
    input_tokens: int = 0

    @property
    def wants_json(self) -> bool:
        return self.json_object or self.json_schema is not None


def received(method: str, request: Any) -> ReceivedRequest:
    """Record a CompletionRequest (or TokenizeRequest) without validating it."""
    if not hasattr(request, "messages"):   # TokenizeRequest: model_uri + text
        return ReceivedRequest(method, request.model_uri, [{"role": "user", "text": request.text}])
    opts = request.completion_options
    options = {
        "temperature": opts.temperature.value if opts.HasField("temperature") else None,
        "max_tokens": opts.max_tokens.value if opts.HasField("max_tokens") else None,
        "reasoning": opts.reasoning_options.mode == _ENABLED_HIDDEN,
        "json": request.json_object or request.HasField("json_schema"),
        "json_schema": MessageToDict(request.json_schema.schema) if request.HasField("json_schema") else None,
    }
    messages = [{"role": m.role, "text": m.text} for m in request.messages]
    return ReceivedRequest(method, request.model_uri, messages, bool(opts.stream), options)


def parse(request: Any, *, check_limit: bool = True) -> Prompt:
    """Validate a CompletionRequest; raise RequestError with a message that says what to fix."""
    model = resolve_model(request.model_uri)
    if not request.messages:
        raise RequestError(
            "INVALID_ARGUMENT",
            "The request has no messages. Send at least one message with role 'user' and non-empty text.",
        )
    messages = []
    for index, message in enumerate(request.messages):
        if message.role not in _ROLES:
            raise RequestError(
                "INVALID_ARGUMENT",
                f"Message {index} has role {message.role!r}; use one of: {', '.join(_ROLES)}.",
            )
        has_tools = message.HasField("tool_call_list") or message.HasField("tool_result_list")
        if not message.text.strip() and not has_tools:
            raise RequestError(
                "INVALID_ARGUMENT",
                f"Message {index} ({message.role}) has empty text. Remove it or give it some text.",
            )
        messages.append((message.role, message.text))
    opts = request.completion_options
    temperature = opts.temperature.value if opts.HasField("temperature") else None
    if temperature is not None and not 0.0 <= temperature <= 1.0:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"temperature is {temperature:g}; it must be between 0 and 1 (inclusive).",
        )
    max_tokens = opts.max_tokens.value if opts.HasField("max_tokens") else None
    if max_tokens is not None and max_tokens < 1:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"max_tokens is {max_tokens}; it must be a positive number of tokens (or left unset).",
        )
    input_tokens = tokenizer.prompt_count(messages)
    if check_limit and input_tokens > model.context_limit:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The request has {input_tokens} input tokens, more than the {model.context_limit}-token "
            f"context of {model.label}. Shorten the history or the prompt, or use a model with a "
            "longer context.",
        )
    schema = MessageToDict(request.json_schema.schema) if request.HasField("json_schema") else None
    return Prompt(
        model=model,
        messages=tuple(messages),
        stream=bool(opts.stream),
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning=opts.reasoning_options.mode == _ENABLED_HIDDEN,
        json_schema=schema,
        json_object=bool(request.json_object),
        input_tokens=input_tokens,
    )
