"""The panel's turns from an earlier kernel, read back from its saved view: never lost to a re-run.

A panel's Send has no cell, so its turn lives in the kernel's chat and in the panel's saved view
(panel/saved.py), nowhere else. A new kernel's chat does not hold it, and running the panel's
cell (as the saved view says to, and as Run All does) put a view of the new chat in place of the
old one: the turns asked in the panel were gone from the notebook for good (findings/reopen 1).

So the saved view carries its turns as data too (:func:`record`: the chat file's format, in the
output's metadata, with the id of the session that drew it), and a panel opened in a cell whose
saved output a kernel before this one drew (commands/panel.py reads the cell's saved outputs)
carries them on:

* when this kernel's chat holds the view's first questions, in order (the cells above it have
  run again, as they had), the turns after them are brought back into the chat, at its end
  (:func:`carry`, ``ChatSession.restore``), as a cell's turn comes back when the cell runs again;
  the cell says so;
* the turns asked in the panel that the chat does not hold, then or later (the cell above was
  changed; a re-run cell rewound past them), are kept: the panel shows them under the chat's
  turns, with a button that brings them back and one that forgets them, and the saved view keeps
  them, so the next kernel finds them again (:meth:`Carried.kept`).

A view drawn by this same session carries only the turns it kept: the rest is this kernel's
chat, whose turns are what the user left there (a reset, a rewind). The data is read as a chat
file is read (chatfile.parse): every field checked, a key in a reply masked when it is sent again,
no tools; a record that is not good carries nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..chat import Chat, ChatEvent, ChatSession, Turn, chatfile
from ..errors import ChatFileError, YGptError
from ..words import counted

#: where the saved view's turns sit in its output's metadata, beside saving.LIVE_ONLY's flag
KEY = "panel"


@dataclass(frozen=True)
class Stored:
    """What a saved view carried: the session that drew it (``ChatSession.id``), the turns it
    showed by chat (the panel's chat, then any chat it kept turns of), and how many of each
    chat's last turns it kept (the chat of that session did not hold them)."""

    session: str
    chats: Mapping[str, tuple[Turn, ...]]
    kept: Mapping[str, int]


def record(session: str, chats: Mapping[str, Sequence[Turn]], kept: Mapping[str, int],
           hide: Callable[[str], str], part: int = 0) -> dict[str, Any]:
    """The output metadata that carries turns of a saved view (``chats``, ``kept``: as
    :class:`Stored` holds them), each text through ``hide`` as ``%ygpt save`` writes it. A view
    is several outputs (panel/saved.py), each carrying its own turns: ``part`` is its place."""
    data = chatfile.dump({name: Chat(name, turns=list(turns)) for name, turns in chats.items()},
                         next(iter(chats)))
    return {"ygpt_magic": {KEY: {"session": session, "chats": chatfile.each_text(data, hide),
                                 "kept": dict(kept), "part": part}}}


def stored(outputs: Sequence[Any]) -> Stored | None:
    """What the saved outputs of a cell carry (:func:`record`), joined in order, or None (one
    part that is not good carries nothing: no turns are brought back with a gap among them). A
    view saved by a release before the split is one output, whose record has no ``part``."""
    parts: list[Stored | None] = []
    last = -1
    for output in outputs:
        held = _field(_field(_field(output, "metadata"), "ygpt_magic"), KEY)
        if held:
            part = held.get("part", 0) if isinstance(held, dict) else 0
            if not isinstance(part, int) or part <= last:   # the first view of the cell ends here
                break
            last = part
            parts.append(_read(held))
    good = [part for part in parts if part is not None]
    return _joined(good) if good and len(good) == len(parts) else None


def _joined(parts: Sequence[Stored]) -> Stored:
    """One view's parts as one: each chat's turns in the order of the parts."""
    chats: dict[str, tuple[Turn, ...]] = {}
    kept: dict[str, int] = {}
    for part in parts:
        for name, turns in part.chats.items():
            chats[name] = (*chats.get(name, ()), *turns)
        kept.update(part.kept)
    return Stored(parts[0].session, chats, kept)


def _field(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def _read(held: Any) -> Stored | None:
    if not isinstance(held, dict):
        return None
    try:
        chats, _, _ = chatfile.parse(held.get("chats"), "the panel's saved view")
    except ChatFileError:
        return None
    kept = held.get("kept")
    if not isinstance(kept, dict) or not all(isinstance(count, int) and count >= 0 for count in kept.values()):
        return None
    return Stored(str(held.get("session")), {name: tuple(chat.turns) for name, chat in chats.items()},
                  {name: kept[name] for name in chats if name in kept})


def _said(turn: Turn) -> tuple[str, str]:
    return turn.prompt, turn.reply.text


@dataclass
class Carried:
    """The turns asked in the panel that a saved view held for chat ``chat``, watched while the
    panel is open."""

    chat: str
    turns: tuple[Turn, ...]

    def kept(self, session: ChatSession) -> list[Turn]:
        """Those the chat does not hold now (by their prompt and reply)."""
        chat = session.chats.get(self.chat)
        held = {_said(turn) for turn in chat.turns} if chat is not None else set()
        return [turn for turn in self.turns if _said(turn) not in held]


def carry(session: ChatSession, earlier: Stored | None) -> tuple[list[Carried], list[str]]:
    """What a panel opened over the saved view ``earlier`` carries, and one line for each chat
    it brought turns back into (module docstring)."""
    if earlier is None:
        return [], []
    foreign = earlier.session != session.id
    carried, said = [], []
    for name, turns in earlier.chats.items():
        ours = turns if foreign else turns[len(turns) - earlier.kept.get(name, 0):]
        brought = _bring_back(session, name, ours) if foreign else 0
        if brought:
            said.append(f"Brought back {counted(brought, 'turn')} to chat '{name}' from this cell's saved "
                        f"view, which a kernel before this one drew: the chat holds its "
                        f"{counted(len(ours), 'turn')} as the view showed them.")
        asked = tuple(turn for turn in ours if turn.cell_id is None)
        if asked:
            carried.append(Carried(name, asked))
    return carried, said


def _bring_back(session: ChatSession, name: str, turns: tuple[Turn, ...]) -> int:
    """The turns after those chat ``name`` holds into it, when it holds the same questions as
    the first of ``turns``, in order; how many (0: none brought back)."""
    chat = session.chats.get(name)
    held = [turn.prompt for turn in chat.turns] if chat is not None else []
    if len(turns) <= len(held) or held != [turn.prompt for turn in turns[:len(held)]]:
        return 0
    try:
        session.restore(name, turns[len(held):])
    except YGptError:  # a reply streaming into it, a name this kernel refuses: they stay kept
        return 0
    return len(turns) - len(held)


class Carrying:
    """What one panel carries from an earlier kernel's saved view (:func:`carry`), followed as
    the session's chats change; ``brought_back``: the lines that say what was brought back."""

    def __init__(self, session: ChatSession, earlier: Stored | None) -> None:
        self._session = session
        self._carried, self.brought_back = carry(session, earlier)

    def kept(self) -> list[tuple[str, list[Turn]]]:
        """The turns carried that their chats do not hold now, by chat."""
        return [(carried.chat, turns) for carried in self._carried if (turns := carried.kept(self._session))]

    def bring_back(self) -> None:
        """The turns kept, at the end of their chats (ChatBusy while a reply streams into one)."""
        for name, turns in self.kept():
            self._session.restore(name, turns)

    def forget(self) -> None:
        self._carried = []

    def follow(self, event: ChatEvent) -> None:
        """A chat reset or deleted forgets what was kept of it (the user emptied it); a renamed
        one keeps it under its new name."""
        if event.kind in ("reset", "deleted"):
            self._carried = [carried for carried in self._carried if carried.chat != event.chat]
        for carried in self._carried if event.kind == "renamed" else ():
            carried.chat = event.chat if carried.chat == event.was else carried.chat


def kept_line(chat: str, count: int) -> str:
    """What the panel and the saved view say above the turns kept of chat ``chat``."""
    turns, verb, them = counted(count, "turn"), "is" if count == 1 else "are", "it" if count == 1 else "them"
    return (f"{turns} asked in the panel {verb} not in chat '{chat}' in this kernel, and not sent with "
            f"its next messages: kept from this cell's saved view, which keeps {them} until you bring "
            f"{them} back or forget {them}.")
