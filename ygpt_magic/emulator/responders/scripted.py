"""Exact, repeatable replies for known prompts, read from JSON scripts.

Scripts are data so that each tutorial or notebook author can add a file of their own to
``ygpt_magic/emulator/scripts/`` (every ``*.json`` there is loaded) and users can pass more with
``ygpt-magic serve --script FILE``. A script file looks like::

    {"replies": [
      {"user": "To be, or not to be: that is the question.",
       "system": ["Translate the text", "Переведи текст"],      # optional: one of these
       "after": ["an earlier user message", "..."],             # optional: the chat so far ends so
                                                                # (one message may be a string)
       "turn": 1,                                               # optional: 1 = first user message
       "reply": "Быть или не быть: вот в чём вопрос."},
      {"user": "How many sales in the north?",                  # a model that uses a tool:
       "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}}],
       "after_tools": "The north region sold {get_sales} units."}]}

An entry has either ``reply`` or ``tool_calls``. ``tool_calls`` are answered (status TOOL_CALLS,
all in one answer) when the request declares tools and its tool_choice allows the calls (not
"none"; a named function only if every call is to it). The calls go out as written, even to a
tool the request did not declare or with arguments its schema refuses: a real model can do
both, and a client's guard against it needs a way to be tested. Once the results are back (the
conversation ends with them), ``after_tools`` is the answer, with ``{NAME}`` replaced by the
result of the tool NAME and ``{result}`` by all results. Without ``after_tools`` the tool
responder writes the answer from the results. ``after_tools`` may instead be another round,
``{"tool_calls": [...], "after_tools": ...}``: the model then calls again once the results of
the first round are back (as many rounds as nested).

Texts match after normalising whitespace, case and trailing punctuation. When several entries
match, the one with the most conditions wins (the first loaded among equals).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..prompt import Prompt, ToolCall, ToolResult
from . import Generation
from .json_reply import json_reply

BUILTIN_SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
#: what a scripted reply's model version says after "local server · " (responders.Generation)
ORIGIN = "scripted"
#: the largest script file read: thousands of replies fit, and so does one reply larger than a gRPC
#: message (4 MiB, to test what a client does with it); reading stops there, so a wrong path (a
#: device, a huge log) cannot exhaust memory
MAX_SCRIPT_BYTES = 16 * 2**20
_KEYS = {"user", "system", "after", "turn", "reply", "name", "tool_calls", "after_tools"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The form texts are compared in: case-folded, single spaces, no trailing punctuation."""
    return _SPACE.sub(" ", text).strip().rstrip(".!?:;…").strip().casefold()


@dataclass(frozen=True)
class ScriptEntry:
    """One scripted reply and the conditions under which it is given."""

    user: str
    reply: str | None = None
    systems: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    turn: int | None = None
    source: str = ""
    rounds: tuple[tuple[ToolCall, ...], ...] = ()   # the calls of each round, in order
    after_tools: str | None = None

    @property
    def specificity(self) -> int:
        return bool(self.systems) + len(self.after) + (self.turn is not None)

    def matches(self, system: str | None, earlier: Sequence[str]) -> bool:
        if self.systems and system not in self.systems:
            return False
        if self.turn is not None and len(earlier) + 1 != self.turn:
            return False
        return not self.after or tuple(earlier[-len(self.after):]) == self.after


def load_script(path: Path) -> list[ScriptEntry]:
    """Read one script file; raise ValueError naming the file and entry when it is malformed."""
    data = _read_json(Path(path))
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, list):
        raise ValueError(f'The script {path} must be a JSON object with a "replies" list.')
    return [_entry(path, index, item) for index, item in enumerate(replies)]


def _read_json(path: Path) -> object:
    """The file's JSON, read no further than the limit (``/dev/zero`` never ends)."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SCRIPT_BYTES + 1)
        if len(data) <= MAX_SCRIPT_BYTES:
            return json.loads(data)
    except RecursionError:
        raise ValueError(f"The script {path} is JSON nested too deeply to read; its replies are a flat list "
                         "(see the README, 'Local server').") from None
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read the script {path}: {error}. Fix the file or leave it out.") from None
    raise ValueError(f"The script {path} is over the {MAX_SCRIPT_BYTES // 2**20} MiB limit for a script; "
                     "split it into several --script files.")


def _entry(path: Path, index: int, item: object) -> ScriptEntry:
    where = f"The script {path}, reply #{index}"
    if not isinstance(item, dict) or not isinstance(item.get("user"), str) or \
            not isinstance(item.get("reply"), str) == ("tool_calls" not in item):
        raise ValueError(f'{where} needs a "user" string and either a "reply" string or "tool_calls".')
    unknown = set(item) - _KEYS
    if unknown:
        raise ValueError(f"{where} has unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}.")
    turn = item.get("turn")
    if turn is not None and (not isinstance(turn, int) or turn < 1):
        raise ValueError(f'{where}: "turn" must be a positive integer (1 = the first user message).')
    return ScriptEntry(
        user=normalize(item["user"]),
        reply=item.get("reply"),
        systems=_texts(where, item, "system"),
        after=_texts(where, item, "after"),
        turn=turn,
        source=str(path),
        **(_rounds(where, item) if "tool_calls" in item else {}),
    )


def _texts(where: str, item: dict[str, Any], key: str) -> tuple[str, ...]:
    """``item[key]`` (a string or a list of strings; absent: none) as normalised texts: a string
    is one text, never its letters, as a script author writing ``"after": "Name two planets"``
    means that one earlier message."""
    texts = item.get(key) or []
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise ValueError(f'{where}: "{key}" must be a string or a list of strings.')
    return tuple(normalize(text) for text in texts)


def _rounds(where: str, item: dict[str, Any]) -> dict[str, Any]:
    """``rounds`` and the final ``after_tools`` of a tool entry, its nested rounds unrolled."""
    rounds = []
    while True:
        rounds.append(_tool_calls(where, item["tool_calls"]))
        after = item.get("after_tools")
        if isinstance(after, dict) and "tool_calls" in after and not set(after) - {"tool_calls", "after_tools"}:
            item = after
            continue
        if after is not None and not isinstance(after, str):
            raise ValueError(f'{where}: "after_tools" must be a string (the answer once the results are back) '
                             'or another round {"tool_calls": [...], "after_tools": ...}.')
        return {"rounds": tuple(rounds), "after_tools": after}


def _tool_calls(where: str, calls: object) -> tuple[ToolCall, ...]:
    def valid(call: object) -> bool:
        return (isinstance(call, dict) and isinstance(call.get("name"), str) and call["name"]
                and isinstance(call.get("arguments", {}), dict) and not set(call) - {"name", "arguments"})
    if not isinstance(calls, list) or not calls or not all(valid(call) for call in calls):
        raise ValueError(f'{where}: "tool_calls" must be a list of {{"name": "...", "arguments": {{...}}}} objects.')
    return tuple(ToolCall(call["name"], call.get("arguments", {})) for call in calls)


def fill_results(template: str, results: tuple[ToolResult, ...]) -> str:
    """``after_tools`` with ``{NAME}`` → that tool's result and ``{result}`` → every result;
    other braces are left as written."""
    by_name = {r.name: r.content for r in results}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "result" and name not in by_name:
            return ", ".join(r.content for r in results)
        return by_name.get(name, match.group(0))
    return _PLACEHOLDER.sub(replace, template)


def script_paths(extra: Iterable[str | Path] = ()) -> list[Path]:
    """The built-in scripts (sorted by name) followed by the user's extra files."""
    return sorted(BUILTIN_SCRIPTS.glob("*.json")) + [Path(p) for p in extra]


class ScriptedResponder:
    """Answers from the scripts; None when no entry fits (the next responder answers)."""

    def __init__(self, paths: Iterable[str | Path] = ()):
        self._by_user: dict[str, list[ScriptEntry]] = {}
        for path in script_paths(paths):
            for entry in load_script(path):
                self._by_user.setdefault(entry.user, []).append(entry)
        for entries in self._by_user.values():
            entries.sort(key=lambda e: -e.specificity)   # stable: first loaded wins among equals

    def entries(self, prompt: Prompt) -> list[ScriptEntry]:
        """The entries whose conditions this conversation meets, the most specific first."""
        users = [normalize(m.text) for m in prompt.turns if m.role == "user" and m.text.strip()]
        if not users or prompt.turns[-1].role != "user":
            return []
        system = next((normalize(text) for role, text in prompt.messages if role == "system"), None)
        return [entry for entry in self._by_user.get(users[-1], ()) if entry.matches(system, users[:-1])]

    def respond(self, prompt: Prompt) -> Generation | None:
        for entry in self.entries(prompt):
            generation = self._answer(entry, prompt)
            if generation is not None:
                return generation
        return None

    def _answer(self, entry: ScriptEntry, prompt: Prompt) -> Generation | None:
        forced = prompt.tool_choice.mode in ("required", "function") and not prompt.tool_results
        if entry.reply is not None:
            return None if forced else self._text(prompt, entry.reply)
        done = sum(1 for message in prompt.turns_after_question if message.tool_calls) if prompt.tool_results else 0
        if done >= len(entry.rounds):
            if not entry.after_tools:
                return None
            return self._text(prompt, fill_results(entry.after_tools, prompt.tool_results))
        calls = entry.rounds[done]
        names = {call.name for call in calls}
        choice = prompt.tool_choice
        if not prompt.tools or choice.mode == "none" or (choice.mode == "function" and names != {choice.function}):
            return None
        return Generation(tool_calls=calls, origin=ORIGIN)

    @staticmethod
    def _text(prompt: Prompt, text: str) -> Generation:
        return Generation(text=json_reply(text, prompt.json_schema, text) if prompt.wants_json else text,
                          origin=ORIGIN)
