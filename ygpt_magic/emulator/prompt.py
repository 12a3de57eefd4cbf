"""What the server understood from a request: validated messages, tools and options.

Parsing and validation live here, apart from gRPC, so every service (streaming, deferred,
tokenizer) refuses the same bad requests with the same INVALID_ARGUMENT / NOT_FOUND messages.

The tool model (``Tool``, ``ToolChoice``, ``ToolCall``, ``ToolResult``, ``Message``) is neutral
about the wire format: the gRPC API's ``tools`` / ``toolCallList`` / ``toolResultList`` and the
OpenAI-compatible chat API's ``tools`` / ``tool_calls`` / ``role: tool`` messages both map onto it,
so one set of responders answers both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google.protobuf.json_format import MessageToDict
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import (
    ReasoningOptions,
)
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import (
    ToolChoice as ToolChoiceProto,
)

from . import templates
from .errors import RequestError
from .models import ModelInfo, resolve_model

if TYPE_CHECKING:
    from .attachments import Image

_ROLES = ("system", "user", "assistant")
_ENABLED_HIDDEN = ReasoningOptions.ReasoningMode.ENABLED_HIDDEN
_CHOICE_MODES = {ToolChoiceProto.NONE: "none", ToolChoiceProto.AUTO: "auto", ToolChoiceProto.REQUIRED: "required"}


@dataclass(frozen=True)
class Tool:
    """A function the request lets the model call."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict, hash=False)   # a JSON schema (type "object")
    strict: bool = False


@dataclass(frozen=True)
class ToolChoice:
    """How the model may use the tools: ``mode`` is "auto" (the default), "none", "required", or
    "function", and then ``function`` names the one function it must call."""

    mode: str = "auto"
    function: str | None = None


@dataclass(frozen=True)
class ToolCall:
    """One call the model asks for; ``arguments`` are JSON values (the gRPC wire sends a Struct,
    so numbers arrive as floats: 5.0 for an integer parameter, as from the real service)."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict, hash=False)
    id: str = ""   # the OpenAI-compatible API's tool_call_id; gRPC has none


@dataclass(frozen=True)
class ToolResult:
    """What a called function returned, sent back by the client."""

    name: str
    content: str
    call_id: str = ""


@dataclass(frozen=True)
class Message:
    """One message of the conversation: text, or the assistant's tool calls, or tool results."""

    role: str
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the server received it; tests assert on these (``server.requests``)."""

    method: str                      # "Completion", "AsyncCompletion", "TokenizeCompletion", "Tokenize",
    #                                  "BatchCompletion" (no messages: its rows are each a "BatchRow") ...
    model_uri: str
    messages: list[dict[str, Any]]   # [{"role", "text"}] in the order sent, plus "tool_calls":
    #                                  [{"name", "arguments"}] / "tool_results": [{"name", "content"}]
    stream: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, reasoning, json, json_schema
    tools: list[dict[str, Any]] = field(default_factory=list)   # [{"name", "description", "parameters"}]
    tool_choice: str | None = None   # "auto" / "none" / "required" / a function name; None: not sent
    images: list[dict[str, Any]] = field(default_factory=list)   # chat API: [{"message", "format", "bytes", "sha256"}]
    #: a call that sends no messages (a dataset's, a batch job's): its fields, as protobuf JSON
    #: names them ({"datasetId", "sizeBytes", "sourceDatasetId", ...}); a dataset's rows never
    #: travel in one (they go to the upload URL), so none is kept
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prompt:
    """A validated completion request, what responders answer.

    ``messages`` is the text view, (role, text) pairs; ``turns`` the whole messages with their tool
    calls and results. Build a Prompt with either: the other one is filled in.
    """

    model: ModelInfo
    messages: tuple[tuple[str, str], ...] = ()   # (role, text)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning: bool = False
    json_schema: dict[str, Any] | None = None   # the schema for json_schema requests
    json_object: bool = False               # any JSON object (json_object requests)
    input_tokens: int = 0
    turns: tuple[Message, ...] = ()
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice = ToolChoice()
    parallel_tool_calls: bool = True
    images: tuple[Image, ...] = ()   # the chat API's image parts
    api: str = "grpc"    # the API it came by: "grpc" (gRPC, and REST, its transcoding) or "chat"

    def __post_init__(self) -> None:
        if self.turns and not self.messages:
            object.__setattr__(self, "messages", tuple((m.role, m.text) for m in self.turns))
        elif self.messages and not self.turns:
            object.__setattr__(self, "turns", tuple(Message(role, text) for role, text in self.messages))

    @property
    def wants_json(self) -> bool:
        return self.json_object or self.json_schema is not None

    @property
    def question(self) -> str:
        """The last user message that has text: what the model answers (any tool calls and
        results after it are the work done on it so far)."""
        return next((m.text for m in reversed(self.turns) if m.role == "user" and m.text.strip()), "")

    @property
    def turns_after_question(self) -> tuple[Message, ...]:
        """The messages after ``question``: the rounds of tool calls and results so far."""
        after: list[Message] = []
        for message in reversed(self.turns):
            if message.role == "user" and message.text.strip():
                break
            after.insert(0, message)
        return tuple(after)

    @property
    def calls_made(self) -> tuple[ToolCall, ...]:
        """The tool calls the assistant made since ``question`` was asked."""
        return tuple(call for message in self.turns_after_question for call in message.tool_calls)

    @property
    def tool_results(self) -> tuple[ToolResult, ...]:
        """When the conversation ends with tool results: every result sent back since
        ``question`` (several rounds of calls included); empty otherwise."""
        if not self.turns or not self.turns[-1].tool_results:
            return ()
        return tuple(result for message in self.turns_after_question for result in message.tool_results)

    def tool(self, name: str) -> Tool | None:
        return next((tool for tool in self.tools if tool.name == name), None)


def _struct(message: Any, name: str, what: str) -> dict[str, Any]:
    """The JSON of ``message``'s Struct field ``name`` ({} when unset); ``what`` names it when it
    holds NaN or infinity, which a Struct can carry and JSON cannot: a request the server
    cannot read, refused as INVALID_ARGUMENT rather than failing the call as the server's own."""
    if not message.HasField(name):
        return {}
    try:
        as_json: dict[str, Any] = MessageToDict(getattr(message, name))
    except ValueError:   # protobuf's words: 'Fail to serialize Infinity for Value.number_value'
        raise RequestError("INVALID_ARGUMENT", f"{what} is not valid JSON: it holds NaN or Infinity, "
                                               f"which JSON has no number for. Send finite numbers (or "
                                               f"null) only.") from None
    return as_json


def _message(message: Any) -> Message:
    calls = tuple(ToolCall(c.function_call.name, _struct(c.function_call, "arguments",
                                                         f"The arguments of the call to {c.function_call.name!r}"))
                  for c in message.tool_call_list.tool_calls)
    results = tuple(ToolResult(r.function_result.name, r.function_result.content)
                    for r in message.tool_result_list.tool_results)
    return Message(message.role, message.text, calls, results)


def _tools(request: Any) -> tuple[Tool, ...]:
    return tuple(Tool(t.function.name, t.function.description,
                      _struct(t.function, "parameters", f"The parameters of tool {t.function.name!r}"),
                      t.function.strict)
                 for t in request.tools)


def _tool_choice(request: Any) -> ToolChoice | None:
    if not request.HasField("tool_choice"):
        return None
    choice = request.tool_choice
    if choice.WhichOneof("ToolChoice") == "function_name":
        return ToolChoice("function", choice.function_name)
    return ToolChoice(_CHOICE_MODES.get(choice.mode, "auto"))


def _received_message(message: Message) -> dict[str, Any]:
    item: dict[str, Any] = {"role": message.role, "text": message.text}
    if message.tool_calls:
        item["tool_calls"] = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
    if message.tool_results:
        item["tool_results"] = [{"name": r.name, "content": r.content} for r in message.tool_results]
    return item


def received(method: str, request: Any) -> ReceivedRequest:
    """Record a CompletionRequest (or a request of a model and a text: TokenizeRequest, an
    embedding's; a BatchCompletionRequest, a model and options, whose rows are a dataset's and
    are recorded each as a BatchRow; or a call without text, a dataset's or a batch job's, with
    its fields) without validating it."""
    if hasattr(request, "source_dataset_id"):   # the job asked for: tests count jobs by it
        return ReceivedRequest(method, request.model_uri, [], options=_options(request),
                               fields=MessageToDict(request))
    if not hasattr(request, "messages") and not hasattr(request, "text"):   # a dataset's, a job list's
        return ReceivedRequest(method, getattr(request, "model_uri", ""), [], fields=MessageToDict(request))
    if not hasattr(request, "messages"):   # TokenizeRequest: model_uri + text
        return ReceivedRequest(method, request.model_uri, [{"role": "user", "text": request.text}])
    options = _options(request)
    if request.HasField("parallel_tool_calls"):
        options["parallel_tool_calls"] = request.parallel_tool_calls.value
    messages = [_received_message(_message(m)) for m in request.messages]
    tools = [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in _tools(request)]
    choice = _tool_choice(request)
    return ReceivedRequest(method, request.model_uri, messages, bool(request.completion_options.stream), options, tools,
                           None if choice is None else choice.function or choice.mode)


def _options(request: Any) -> dict[str, Any]:
    """A completion's options as ReceivedRequest records them (``completion_options`` and the
    answer's format: a completion's and a batch job's alike)."""
    opts = request.completion_options
    return {
        "temperature": opts.temperature.value if opts.HasField("temperature") else None,
        "max_tokens": opts.max_tokens.value if opts.HasField("max_tokens") else None,
        "reasoning": opts.reasoning_options.mode == _ENABLED_HIDDEN,
        "json": request.json_object or request.HasField("json_schema"),
        "json_schema": _schema(request),
    }


def _schema(request: Any) -> dict[str, Any] | None:
    """The JSON schema the answer is asked in (``json_schema``), None when none is."""
    if not request.HasField("json_schema"):
        return None
    return _struct(request.json_schema, "schema", "The response format's JSON schema")


def _check_tools(tools: tuple[Tool, ...], choice: ToolChoice) -> None:
    names = [tool.name for tool in tools]
    for index, name in enumerate(names):
        if not name.strip():
            raise RequestError("INVALID_ARGUMENT", f"Tool {index} has no function name. Give every tool a name.")
        if names.index(name) != index:
            raise RequestError("INVALID_ARGUMENT",
                               f"Two tools are named {name!r}. Tool names must be unique: rename or drop one.")
    if choice.mode == "function" and choice.function not in names:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"tool_choice names the function {choice.function!r}, but the request declares no tool of that "
            f"name (declared: {', '.join(names) or 'none'}). Declare it in tools or choose another.",
        )
    if choice.mode == "required" and not tools:
        raise RequestError("INVALID_ARGUMENT",
                           "tool_choice is 'required' but the request declares no tools. Declare tools or use 'auto'.")


def parse(request: Any, *, check_limit: bool = True) -> Prompt:
    """Validate a CompletionRequest; raise RequestError with a message that says what to fix."""
    model = resolve_model(request.model_uri)
    if not request.messages:
        raise RequestError(
            "INVALID_ARGUMENT",
            "The request has no messages. Send at least one message with role 'user' and non-empty text.",
        )
    turns = []
    for index, message in enumerate(request.messages):
        if message.role not in _ROLES:
            raise RequestError(
                "INVALID_ARGUMENT",
                f"Message {index} has role {message.role!r}; use one of: {', '.join(_ROLES)}.",
            )
        turn = _message(message)
        if not message.text.strip() and not (turn.tool_calls or turn.tool_results):
            raise RequestError(
                "INVALID_ARGUMENT",
                f"Message {index} ({message.role}) has empty text. Remove it or give it some text.",
            )
        turns.append(turn)
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
    tools = _tools(request)
    choice = _tool_choice(request) or ToolChoice()
    _check_tools(tools, choice)
    input_tokens = templates.for_model(model.name).count(turns, tools)
    if check_limit and input_tokens > model.context_limit:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The request has {input_tokens} input tokens, more than the {model.context_limit}-token "
            f"context of {model.label}. Shorten the history or the prompt, or use a model with a "
            "longer context.",
        )
    schema = _schema(request)
    return Prompt(
        model=model,
        stream=bool(opts.stream),
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning=opts.reasoning_options.mode == _ENABLED_HIDDEN,
        json_schema=schema,
        json_object=bool(request.json_object),
        input_tokens=input_tokens,
        turns=tuple(turns),
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=request.parallel_tool_calls.value if request.HasField("parallel_tool_calls") else True,
    )
