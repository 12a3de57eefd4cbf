"""How a panel shows a recorded turn, and which chat a view of one follows: no widget here.

A turn is shown as its prompt's bundle and its reply's, the reply exactly as a cell's final
render shows it (``live.final_bundle``). The live panel's bubbles (panel/transcript.py) and the
saved view (panel/saved.py) hold those bundles, and a run no page draws shows the saved view
with no widget at all (panel/headless.py), so both go through :func:`exchange`: the text a
reader of the file finds is the text the live panel showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..chat import Chat, ChatEvent, Turn
from ..chat.planning import Settings, resolve
from ..render import inert
from .live import final_bundle

Bundle = Mapping[str, str]
Exchange = tuple[Bundle, Bundle]  # a prompt's bundle and its reply's


def prompt_bundle(prompt: str) -> dict[str, str]:
    """A user's prompt as the bubble shows it: Markdown made inert, the raw text as the fallback."""
    return inert.bundle(inert.markdown(prompt), plain=prompt)


def asked(turn: Turn) -> str:
    """A turn's prompt with one quiet line per picture it sent (the chat keeps no bytes to show)."""
    return "\n\n".join([turn.prompt, *(info.caption() for info in turn.images)])


def reply_bundle(turn: Turn, chat: Chat, settings: Settings | None) -> dict[str, Any]:
    """``turn``'s reply as a cell showed it, in the format the chat's options and the notebook's
    ``settings`` give it, with the turn's notes (what was sent differently from what was written)."""
    options = resolve(chat.options, settings)
    return final_bundle(turn.reply, options.format, json_reply=options.json, notes=turn.notes)


def exchange(turn: Turn, chat: Chat, settings: Settings | None) -> Exchange:
    """How ``turn`` of ``chat`` is shown: its prompt's bundle and its reply's."""
    return prompt_bundle(asked(turn)), reply_bundle(turn, chat, settings)


def followed(name: str, follows_current: bool, event: ChatEvent) -> str:
    """The chat a view of chat ``name`` shows after ``event``: the new current chat when it
    follows the current one, the same conversation under its new name when it was renamed."""
    if event.kind == "current" and follows_current:
        return event.chat
    if event.kind == "renamed" and event.was == name:
        return event.chat
    return name
