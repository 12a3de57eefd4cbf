"""The deterministic model of tool use: which tools to call, with what arguments, and the answer
once the results are back.

``tool_choice`` is honoured like the real service does: "none" never calls, "required" and a
named function always call (also after results: a client loop that keeps ``required`` never ends
by itself, as with the real API), "auto" calls when the question points at tools:

- a tool whose name (split at ``_`` and capitals) appears in the question is called; several
  such tools are called in parallel (one per round when ``parallel_tool_calls`` is false, the
  next one after the previous one's result);
- otherwise the one tool whose description shares the most words with the question (an
  arithmetic expression counts for a calculator-like tool); when two tools tie, the question is
  ambiguous and the model answers in text (the SDK's tool_choice example sees exactly that).

Arguments are filled from the question to fit each tool's JSON schema (``values.fill``). After
the results the answer quotes them, so a client can see its function's output was used.
"""

from __future__ import annotations

import re
from typing import Any

from ..prompt import Prompt, Tool, ToolCall, ToolResult
from . import Generation
from .json_reply import json_reply
from .values import STOPWORDS, fill

_SPLIT = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-zа-я])(?=[A-ZА-Я])")
_ARITHMETIC = re.compile(r"\d\s*[-+*/@%^×÷]\s*\d")
_MATH_WORDS = ("calcul", "arithm", "math", "comput", "evaluat", "expression", "калькул", "вычисл")
RESULT_CHARS = 300   # a result longer than this is quoted shortened in the answer


def _stems(text: str) -> set[str]:
    words = _SPLIT.findall(_CAMEL.sub(" ", text))
    return {_stem(w.casefold()) for w in words if len(w) > 2 and w.casefold() not in STOPWORDS}


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def candidates(prompt: Prompt) -> tuple[list[Tool], list[Tool]]:
    """(tools the question names, tools its words fit best): the second list has one tool, or
    several that tie (an ambiguous question), or none."""
    asked = _stems(prompt.question)
    named = [tool for tool in prompt.tools if _stems(tool.name) & asked]
    arithmetic = bool(_ARITHMETIC.search(prompt.question))

    def score(tool: Tool) -> int:
        about = f"{tool.name} {tool.description}".casefold()
        return len(_stems(tool.description) & asked) + 2 * (arithmetic and any(w in about for w in _MATH_WORDS))

    scores = [score(tool) for tool in prompt.tools]
    best = max(scores, default=0)
    fitting = [tool for tool, s in zip(prompt.tools, scores) if best and s == best]
    return named, fitting


def calls_for(prompt: Prompt) -> list[Tool]:
    """The tools to call now; empty when the model should answer in text."""
    choice = prompt.tool_choice
    if choice.mode == "none" or not prompt.tools:
        return []
    if choice.mode == "function":
        chosen = [prompt.tool(choice.function or "")]
        return [tool for tool in chosen if tool is not None]
    named, fitting = candidates(prompt)
    wanted = named or (fitting if len(fitting) == 1 else [])
    if choice.mode == "required" and not wanted:
        wanted = (fitting or list(prompt.tools))[:1]
    called = {call.name for call in prompt.calls_made}
    pending = [tool for tool in wanted if tool.name not in called]
    if choice.mode == "required" and not pending:
        pending = wanted
    return pending if prompt.parallel_tool_calls else pending[:1]


def arguments(tool: Tool, text: str) -> dict[str, Any]:
    """Arguments for ``tool`` drawn from ``text``; always an object, as the wire needs."""
    value = fill(tool.parameters, text) if tool.parameters else {}
    return value if isinstance(value, dict) else {}


def _quote(result: ToolResult) -> str:
    content = result.content.strip()
    return content if len(content) <= RESULT_CHARS else content[:RESULT_CHARS] + "…"


def answer_with_results(prompt: Prompt) -> str:
    """The text answer once tool results are back: it quotes each result."""
    results = prompt.tool_results
    russian = bool(re.search(r"[А-Яа-яЁё]", prompt.question))
    if len(results) == 1:
        result = results[0]
        return (f"По данным `{result.name}`: {_quote(result)}" if russian
                else f"According to `{result.name}`: {_quote(result)}")
    lines = "\n".join(f"- `{r.name}`: {_quote(r)}" for r in results)
    return ("Вот что вернули инструменты:\n\n" if russian else "Here is what the tools returned:\n\n") + lines


class ToolResponder:
    """Answers requests that declare tools: with tool calls, or with the results' answer."""

    def respond(self, prompt: Prompt) -> Generation | None:
        tools = calls_for(prompt)
        if tools:
            return Generation(tool_calls=tuple(ToolCall(t.name, arguments(t, prompt.question)) for t in tools))
        if not prompt.tool_results:
            return None
        text = answer_with_results(prompt)
        if prompt.wants_json:
            source = "\n".join([prompt.question, *(r.content for r in prompt.tool_results)])
            text = json_reply(text, prompt.json_schema, source)
        return Generation(text=text)
