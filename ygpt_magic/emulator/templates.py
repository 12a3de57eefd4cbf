"""How each model family lays a request out in its context, so a prompt counts what it is billed.

The cloud bills a request's input tokens after its model's chat template has rendered it, and the
families' templates differ: YandexGPT labels each message and declares a tool as a message of its
own; Qwen wraps every message in ``<|im_start|>`` / ``<|im_end|>`` and renders the tools' JSON
into a system prompt of its own prose; Gemma wraps turns in ``<start_of_turn>``. Counting a Qwen
request by YandexGPT's layout came to 107 input tokens where the cloud billed 190 (the recorded
tool request of ``http_chat/test_stream_function_callqwen3_235b_a22b_fp8.yaml``).

Text is split by the local tokenizer (``tokenizer.split``), the template's special tokens are one
token each. Models with no recording to fit (llama, gpt-oss) keep YandexGPT's layout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import tokenizer

if TYPE_CHECKING:
    from .prompt import Message, Tool, ToolCall

Tokens = list[tuple[str, bool]]
COMPACT: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":")}


def integral(value: Any) -> Any:
    """JSON values with whole floats as integers: the gRPC wire turns 5 into 5.0, and the cloud
    bills a call the same over gRPC and over the chat API, where it stays 5."""
    if isinstance(value, dict):
        return {key: integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral(item) for item in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


class YandexTemplate:
    """YandexGPT's layout (``tokenizer.prompt_tokens``): labels, [NL]s, the answer header; each
    tool declared as a message holding its JSON; only the last round of calls and results counts.
    Fitted on the recorded requests (``test_chat``, ``test_function_call``,
    ``test_parallel_function_call``, ``test_tool_choice``): one tool counts 99 against the cloud's
    100, two 170 against 169 to 171, a round of a call and its result 31 against 30 and 29 against
    29, and a second round, billed 3 more than the first, counts none more here (counting both
    rounds would come to 26 over)."""

    answer_ends = 0   # the recorded answers show no token for an answer's end

    def tokens(self, turns: Sequence[Message], tools: Sequence[Tool]) -> Tokens:
        return tokenizer.prompt_tokens(self._view(turns, tools))

    def count(self, turns: Sequence[Message], tools: Sequence[Tool]) -> int:
        return tokenizer.prompt_count(self._view(turns, tools))

    def calls_count(self, calls: Sequence[ToolCall]) -> int:
        """The completion tokens of an answer that is ``calls``."""
        return tokenizer.count(_yandex_text(calls, ()))

    def answer_pieces(self, text: str) -> list[str]:
        """The tokens of an answer's text (its completion tokens, with ``answer_ends``)."""
        return tokenizer.split(text)

    def _view(self, turns: Sequence[Message], tools: Sequence[Tool]) -> list[tuple[str, str]]:
        declared = [("tool", tokenizer.Json(json.dumps(
            {"name": t.name, "description": t.description, "parameters": t.parameters}, **COMPACT))) for t in tools]
        return [*declared, *((m.role, _yandex_text(m.tool_calls, m.tool_results, m.text)) for m in _last_round(turns))]


def _yandex_text(calls: Sequence[ToolCall], results: Sequence[Any], text: str = "") -> str:
    """The text a message occupies in YandexGPT's context. A call is its name in brackets over its
    arguments' JSON, the form the recorded model writes calls in when tool_choice is "none"
    (``\\[Something\\]`` then ``{"numbers":[5,4,1]}``); a result is its function's name in
    brackets over its content. Either makes the message JSON to the tokenizer."""
    parts = [f"[{c.name}]\n{json.dumps(integral(c.arguments), **COMPACT)}" for c in calls]
    parts += [f"[{r.name}]\n{r.content}" for r in results]
    if not parts:
        return text
    return tokenizer.Json("\n".join([text, *parts] if text else parts))


def _last_round(turns: Sequence[Message]) -> list[Message]:
    """The turns without the rounds of tool calls and results that came before the last round
    since the last question (a user's message with text)."""
    question = max((i for i, m in enumerate(turns) if m.role == "user" and m.text.strip()), default=-1)
    last_call = max((i for i, m in enumerate(turns) if i > question and m.tool_calls), default=question)
    return [m for i, m in enumerate(turns)
            if not (question < i < last_call and (m.tool_calls or m.tool_results) and not m.text.strip())]


_QWEN_SPECIAL = re.compile(r"(<\|im_start\|>|<\|im_end\|>|</?tool_call>|</?tool_response>|</?think>)")
_QWEN_TOOLS_HEAD = ("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
_QWEN_TOOLS_TAIL = ("\n</tools>\n\nFor each function call, return a json object with function name and arguments "
                    "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
                    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')


class QwenTemplate:
    """Qwen's ChatML template (Qwen3's and Qwen2.5's ``chat_template``): each message is
    ``<|im_start|>role\\n`` text ``<|im_end|>\\n``, the answer awaits after
    ``<|im_start|>assistant\\n``; tools make a system prompt of the template's own prose with each
    tool's JSON (``{"type": "function", "function": ...}``, ``tojson``'s spaced form) inside
    ``<tools>``; a call is ``<tool_call>`` over ``{"name": ..., "arguments": ...}``, a result a
    user turn's ``<tool_response>``. Against the recordings: "hello" 9 as billed, the tool request
    190 as billed and with its call and result 227 against 226 (YandexGPT's layout: 107, 135).
    ``default_system`` is the system text the template adds when the request has none (Qwen2.5's
    "You are Qwen, ..."; Qwen3 adds none)."""

    answer_ends = 1   # <|im_end|>, which the model writes after every answer

    def __init__(self, default_system: str = ""):
        self.default_system = default_system

    def tokens(self, turns: Sequence[Message], tools: Sequence[Tool]) -> Tokens:
        out: Tokens = []
        system, rest = _system_first(turns, self.default_system)
        if tools:
            head = f"{system}\n\n" if system else ""
            declared = "".join("\n" + json.dumps(_function_json(t), ensure_ascii=False) for t in tools)
            out += _qwen_turn("system", [head + _QWEN_TOOLS_HEAD, declared, _QWEN_TOOLS_TAIL])
        elif system:
            out += _qwen_turn("system", [system])
        for message in rest:
            out += _qwen_message(message)
        return out + _qwen_split("<|im_start|>assistant\n")

    def count(self, turns: Sequence[Message], tools: Sequence[Tool]) -> int:
        return len(self.tokens(turns, tools))

    def calls_count(self, calls: Sequence[ToolCall]) -> int:
        """The completion tokens of an answer that is ``calls``, its ``<|im_end|>`` included."""
        return len(_qwen_split(*_qwen_calls(calls), "<|im_end|>"))

    def answer_pieces(self, text: str) -> list[str]:
        return tokenizer.bpe_split(text)


def _system_first(turns: Sequence[Message], default: str) -> tuple[str, Sequence[Message]]:
    """The system text the template puts first, and the messages after it."""
    if turns and turns[0].role == "system":
        return turns[0].text, turns[1:]
    return default, turns


def _function_json(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    return {"type": "function", "function": function}


def _qwen_message(message: Message) -> Tokens:
    if message.tool_results:
        return _qwen_turn("user", [part for r in message.tool_results
                                   for part in ("\n<tool_response>\n", r.content, "\n</tool_response>")], lead="")
    if message.tool_calls:
        return _qwen_turn("assistant", [message.text, *_qwen_calls(message.tool_calls, after_text=bool(message.text))])
    return _qwen_turn(message.role, [message.text])


def _qwen_calls(calls: Sequence[ToolCall], after_text: bool = False) -> list[str]:
    """The calls as the template writes them: each in ``<tool_call>`` tags, a newline between."""
    parts: list[str] = []
    for index, call in enumerate(calls):
        arguments = json.dumps(integral(call.arguments), ensure_ascii=False)
        parts += ["\n" if index or after_text else "", "<tool_call>\n",
                  f'{{"name": "{call.name}", "arguments": {arguments}}}', "\n</tool_call>"]
    return parts


def _qwen_turn(role: str, parts: Sequence[str], lead: str = "\n") -> Tokens:
    return _qwen_split(f"<|im_start|>{role}{lead}", *parts, "<|im_end|>\n")


def _qwen_split(*parts: str) -> Tokens:
    return _split(_QWEN_SPECIAL, parts, tokenizer.bpe_split)


def _split(special: re.Pattern[str], parts: Sequence[str], split: Callable[[str], list[str]]) -> Tokens:
    """The tokens of consecutive texts: ``special`` tokens one each, the rest as ``split`` splits
    it (``tokenizer.split`` keeps a ``tokenizer.Json`` part's type, so it counts as JSON)."""
    out: Tokens = []
    for part in parts:
        for index, chunk in enumerate(special.split(part)):
            if index % 2:
                out.append((chunk, True))
            elif chunk:
                text = tokenizer.Json(chunk) if isinstance(part, tokenizer.Json) else chunk
                out += [(tokenizer.display(piece), False) for piece in split(text)]
    return out


_GEMMA_SPECIAL = re.compile(r"(<bos>|<start_of_turn>|<end_of_turn>)")
_GEMMA_TOOLS_HEAD = (
    "Tools (functions) are available. If you decide to invoke one or more of the tools, you must respond with a "
    "python list of the function calls.\nExample Format: [func_name1(params_name1=params_value1, "
    "params_name2=params_value2...), func_name2(params)] \nDo not use variables. DO NOT USE MARKDOWN SYNTAX. You "
    "SHOULD NOT include any other text in the response if you call a function. If none of the functions can be "
    "used, point it out. If you lack the parameters required by the function, also point it out.\n"
    "Here is a list of functions in JSON format that you can invoke.\n")


class GemmaTemplate:
    """Gemma 3's template with its Python-list tool calls (vLLM's ``gemma3_pythonic``): ``<bos>``,
    each turn ``<start_of_turn>role\\n`` text ``<end_of_turn>\\n`` (the assistant's role is
    "model"; a system text opens the first user turn, and so do the tools: the template's prose,
    then their JSON list indented by 4); a call is ``[name(key="value")]``, each result a user
    turn's ``<tool_response>``. Derived from the recorded tool request
    (``test_stream_function_call[gemma-3-27b-it]``): the real Gemma 3 vocabulary counts this
    layout 304 and 336, as billed, and its call 9 and ``<end_of_turn>``, the 10 billed. The
    picture request (``test_multimodal``): 276 billed with the picture's 256."""

    answer_ends = 1   # <end_of_turn>, which the model writes after every answer

    def tokens(self, turns: Sequence[Message], tools: Sequence[Tool]) -> Tokens:
        system, rest = _system_first(turns, "")
        opening = f"{system}\n\n" if system else ""
        if tools:
            opening += _GEMMA_TOOLS_HEAD + _gemma_tools_json(tools) + "\n\n"
        out = _gemma_split("<bos>")
        for index, message in enumerate(rest):
            out += _gemma_message(message, opening if index == 0 else "")
        return out + _gemma_split("<start_of_turn>model\n")

    def count(self, turns: Sequence[Message], tools: Sequence[Tool]) -> int:
        return len(self.tokens(turns, tools))

    def calls_count(self, calls: Sequence[ToolCall]) -> int:
        """The completion tokens of an answer that is ``calls``, its ``<end_of_turn>`` included."""
        return len(_gemma_split(_gemma_calls(calls))) + self.answer_ends

    def answer_pieces(self, text: str) -> list[str]:
        return tokenizer.gemma_split(text)


def _gemma_message(message: Message, opening: str) -> Tokens:
    """One message's turns: a turn of its own for each tool result, as the template writes them."""
    if message.tool_results:
        return [token for index, r in enumerate(message.tool_results) for token in _gemma_split(
            "<start_of_turn>user\n", "" if index else opening, "<tool_response>\n", r.content.strip(),
            "</tool_response><end_of_turn>\n")]
    role = "model" if message.role == "assistant" else "user"
    calls = _gemma_calls(message.tool_calls) if message.tool_calls else ""
    return _gemma_split(f"<start_of_turn>{role}\n", opening, calls, message.text.strip(), "<end_of_turn>\n")


def _gemma_tools_json(tools: Sequence[Tool]) -> str:
    """The tools' JSON list indented by 4, its keys sorted: a schema's keys come in any order
    once they have crossed the gRPC wire as a Struct, and with indentation their order moves the
    count (the recorded request counts 304 either way in Gemma's own vocabulary)."""
    return json.dumps([_function_json(t) for t in tools], indent=4, ensure_ascii=False, sort_keys=True)


def _gemma_calls(calls: Sequence[ToolCall]) -> str:
    """The calls as a Python list: ``[name(key=<value as JSON>, ...), ...]``."""
    def one(call: ToolCall) -> str:
        return f"{call.name}(" + ", ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in integral(call.arguments).items()) + ")"
    return "[" + ", ".join(one(call) for call in calls) + "]"


def _gemma_split(*parts: str) -> Tokens:
    return _split(_GEMMA_SPECIAL, parts, tokenizer.gemma_split)


Template = YandexTemplate | QwenTemplate | GemmaTemplate
_YANDEX = YandexTemplate()
#: each model's template, by the model's short name; the others lay requests out as YandexGPT does
TEMPLATES: dict[str, Template] = {
    "qwen3-235b-a22b-fp8": QwenTemplate(),
    "qwen2.5-32b-instruct": QwenTemplate("You are Qwen, created by Alibaba Cloud. You are a helpful assistant."),
    "gemma-3-27b-it": GemmaTemplate(),
    "gemma-3-12b-it": GemmaTemplate(),
}


def for_model(name: str) -> Template:
    """The template the model ``name`` renders requests with."""
    return TEMPLATES.get(name, _YANDEX)
