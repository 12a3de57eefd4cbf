"""The default responder: exact, repeatable replies for known prompts, read from JSON scripts.

Scripts are data so that each tutorial or notebook author can add a file of their own to
``ygpt_magic/emulator/scripts/`` (every ``*.json`` there is loaded) and users can pass more with
``ygpt-magic serve --script FILE``. A script file looks like::

    {"replies": [
      {"user": "To be, or not to be: that is the question.",
       "system": ["Translate the text", "Переведи текст"],      # optional: one of these
       "after": ["an earlier user message", "..."],             # optional: the chat so far ends so
       "turn": 1,                                               # optional: 1 = first user message
       "reply": "Быть или не быть: вот в чём вопрос."}]}

Texts match after normalising whitespace, case and trailing punctuation. When several entries
match, the one with the most conditions wins (the first loaded among equals).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..prompt import Prompt
from . import Generation
from .fallback import fallback_reply
from .json_reply import json_reply

BUILTIN_SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
_KEYS = {"user", "system", "after", "turn", "reply", "name"}
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The form texts are compared in: case-folded, single spaces, no trailing punctuation."""
    return _SPACE.sub(" ", text).strip().rstrip(".!?:;…").strip().casefold()


@dataclass(frozen=True)
class ScriptEntry:
    """One scripted reply and the conditions under which it is given."""

    user: str
    reply: str
    systems: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    turn: int | None = None
    source: str = ""

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
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read the script {path}: {error}. Fix the file or leave it out.") from None
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, list):
        raise ValueError(f'The script {path} must be a JSON object with a "replies" list.')
    return [_entry(path, index, item) for index, item in enumerate(replies)]


def _entry(path: Path, index: int, item: object) -> ScriptEntry:
    where = f"The script {path}, reply #{index}"
    if not isinstance(item, dict) or not isinstance(item.get("user"), str) or not isinstance(item.get("reply"), str):
        raise ValueError(f'{where} needs "user" and "reply" strings.')
    unknown = set(item) - _KEYS
    if unknown:
        raise ValueError(f"{where} has unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}.")
    systems = item.get("system") or ()
    systems = (systems,) if isinstance(systems, str) else tuple(systems)
    turn = item.get("turn")
    if turn is not None and (not isinstance(turn, int) or turn < 1):
        raise ValueError(f'{where}: "turn" must be a positive integer (1 = the first user message).')
    return ScriptEntry(
        user=normalize(item["user"]),
        reply=item["reply"],
        systems=tuple(normalize(s) for s in systems),
        after=tuple(normalize(a) for a in item.get("after") or ()),
        turn=turn,
        source=str(path),
    )


def script_paths(extra: Iterable[str | Path] = ()) -> list[Path]:
    """The built-in scripts (sorted by name) followed by the user's extra files."""
    return sorted(BUILTIN_SCRIPTS.glob("*.json")) + [Path(p) for p in extra]


class ScriptedResponder:
    """Answers from the scripts; anything else gets a deterministic fallback reply."""

    def __init__(self, paths: Iterable[str | Path] = ()):
        self._by_user: dict[str, list[ScriptEntry]] = {}
        for path in script_paths(paths):
            for entry in load_script(path):
                self._by_user.setdefault(entry.user, []).append(entry)
        for entries in self._by_user.values():
            entries.sort(key=lambda e: -e.specificity)   # stable: first loaded wins among equals

    def lookup(self, messages: Sequence[tuple[str, str]]) -> str | None:
        """The scripted reply for this message list, or None."""
        users = [normalize(text) for role, text in messages if role == "user"]
        if not users or messages[-1][0] != "user":
            return None
        system = next((normalize(text) for role, text in messages if role == "system"), None)
        for entry in self._by_user.get(users[-1], ()):
            if entry.matches(system, users[:-1]):
                return entry.reply
        return None

    def respond(self, prompt: Prompt) -> Generation:
        text = self.lookup(prompt.messages)
        if text is None:
            text = fallback_reply(prompt.messages)
        if prompt.wants_json:
            text = json_reply(text, prompt.json_schema)
        return Generation(text=text)
