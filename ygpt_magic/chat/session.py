"""ChatSession: the notebook's chats, their state and who is watching them.

The magics and the widget panel are two views over one ChatSession. It keeps state only: the
chats, the current chat's name, which chat has a request in flight, the observers. What one
request sends is decided by ``planning.py`` from a consistent :class:`ChatState` snapshot, and
changes nothing; only :meth:`ChatSession.record` does, after a reply is complete, so an error or
an interrupt leaves every chat exactly as it was.

The panel sends requests from a background thread, so mutations hold a lock, a chat accepts one
request at a time (:meth:`ChatSession.busy`), and observers are told about every change.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..errors import ChatBusy, ChatChanged, ChatExists, UnknownChat
from ..errors.usage import Asker
from ..words import composed, counted
from . import chatfile
from .accounts import Accounts
from .counting import SystemCounts
from .names import NameRule, any_name
from .observers import Observers
from .options import BUILTIN, FORMATS, UNSET, Options
from .transcript import transcript
from .values import Chat, Reply, Turn, Usage

if TYPE_CHECKING:
    from .planning import Plan

__all__ = [
    "BUILTIN", "FORMATS", "UNSET", "Chat", "ChatEvent", "ChatSession", "ChatState", "Options",
    "Reply", "Turn", "Usage", "counted",
]

_KEEP = object()  # "leave the system message as it is" for configure()

#: What a cell or the panel says when :meth:`ChatSession.record` kept a reply without text out.
EMPTY_REPLY = ("The model returned no text, so the chat was left as it was: an empty answer sent back "
               "with the next cells would make the server refuse them. Run the cell again; if the "
               "model spent --max-tokens on reasoning, raise it.")


@dataclass(frozen=True)
class ChatEvent:
    """What changed: kind is created, turn, reset, options, busy, idle, loaded, current, deleted
    or renamed (``chat`` is then the new name, ``was`` the old one). A change of the current chat
    is always told as current (after loaded or deleted when that made it)."""

    kind: str
    chat: str
    was: str = ""


@dataclass(frozen=True)
class Deleted:
    """What :meth:`ChatSession.delete` removed: the chat as it was, the chat file it was last
    saved to or loaded from (None if none), and the chat made current in its place (None when
    the current chat stayed)."""

    chat: Chat
    file: Path | None
    current: str | None


@dataclass(frozen=True)
class ChatState:
    """One chat as a request finds it, read at one moment under the session's lock: what
    planning works from, so a turn landing meanwhile cannot mix two states into one request."""

    name: str
    exists: bool
    turns: tuple[Turn, ...]
    system: str | None
    options: Options
    revision: int
    cell_turn: int | None = None  # the latest turn of the cell asked about (see rewind.rewind_point)


class ChatSession:
    """All chats of one notebook, the current chat's name, and the observers watching them.

    ``refuse_name(name)`` raises for a name no chat may have (the kernel's: one that carries a
    credential, CredentialInName); it is asked for every name given that no chat has yet, before
    the name is used, shown in an error or given to a chat, so no door (a cell's --chat, a
    command, the panel's "new chat…" box) can slip one past it.
    """

    def __init__(self, refuse_name: Callable[[str], None] = any_name) -> None:
        self._names = NameRule(refuse_name)
        self.id = uuid.uuid4().hex  # tells a panel's saved view drawn from these chats (panel/carried.py)
        self._lock = threading.RLock()
        self._chats: dict[str, Chat] = {"default": Chat("default")}
        self._current = "default"
        self._busy: dict[str, Asker] = {}   # chat → where the request holding it was asked (ChatBusy)
        self._observers: Observers[ChatEvent] = Observers()
        self.system_tokens = SystemCounts()  # each system message's size, counted once a session
        self._revisions = itertools.count(1)
        self._files: dict[str, Path] = {}  # chat → the chat file it was last saved to or loaded from
        self.accounts = Accounts()  # every answered request's tokens, whichever door it came from

    # -- reading -----------------------------------------------------------------------------

    @property
    def chats(self) -> Mapping[str, Chat]:
        """A read-only view of the chats by name (edit them through the methods)."""
        return MappingProxyType(self._chats)

    @property
    def current(self) -> str:
        """The chat a cell uses when it names none."""
        return self._current

    @current.setter
    def current(self, name: str) -> None:
        name = self.chat(name).name
        with self._lock:
            self._current = name
        self._notify("current", name)

    def chat(self, name: str | None = None, create: bool = True) -> Chat:
        """The chat called ``name`` (the current one by default), created on first use."""
        name = self._current if name is None else composed(name)
        with self._lock:
            if name in self._chats:
                return self._chats[name]
            if not create:
                self._names.refused(name)  # an error would show it
                raise UnknownChat(name, list(self._chats))
            chat = self._chats[name] = Chat(self._names.new(name))
        self._notify("created", name)
        return chat

    def check_name(self, name: str | None) -> None:
        """Refuse ``name`` now (OptionError, or the name rule's error) when no chat may have it,
        so a run over many rows is refused once, before anything is sent, not once a row. A chat
        that exists passes, and so does None (the current chat)."""
        with self._lock:
            if name is None or composed(name) in self._chats:
                return
        self._names.new(name)

    def state(self, name: str | None = None, cell_id: str | None = None) -> ChatState:
        """A snapshot of chat ``name`` (the current one by default), with where cell
        ``cell_id``'s latest turn is; a chat that does not exist yet reads as empty (``record``
        creates it)."""
        name = self._current if name is None else composed(name)
        with self._lock:
            chat = self._chats.get(name) if isinstance(name, str) else None
            if chat is None:
                return ChatState(self._names.new(name), False, (), None, Options(), 0)
            return ChatState(name, True, tuple(chat.turns), chat.system, chat.options, chat.revision,
                             chat.last_turn_of(cell_id) if cell_id is not None else None)

    def chat_of(self, cell_id: str) -> str | None:
        """The chat holding cell ``cell_id``'s turn: the current one if it holds one, else the
        one changed last among those that do; None when no chat does."""
        with self._lock:
            holding = [chat for chat in self._chats.values() if chat.last_turn_of(cell_id) is not None]
            if any(chat.name == self._current for chat in holding):
                return self._current
            return max(holding, key=lambda chat: chat.revision).name if holding else None

    # -- changing ----------------------------------------------------------------------------

    def configure(self, name: str | None = None, *, system: Any = _KEEP, **option_changes: Any) -> Chat:
        """Set a chat's system message (``None`` removes it) and options; all or nothing."""
        chat = self.chat(name)
        options = chat.options.with_changes(**option_changes)  # validates before any change
        with self._lock:
            chat.options = options
            if system is not _KEEP:
                chat.system = system or None
        self._notify("options", chat.name)
        return chat

    def record(self, plan: Plan, reply: Reply) -> Turn | None:
        """Apply a finished plan: drop rewound turns, set the system message (the cell's, or the
        one a dropped cell had replaced), add the turn, which remembers the system message its
        cell replaced so a later rewind past it can put that back.

        The turn keeps the reply without its ``messages`` (the history sent with it): every
        turn holding the whole history before it would make memory grow with the square of
        the chat's length. The returned reply (``_ygpt``) still has them.

        A reply with no text (a reasoning model that spent its tokens thinking, a scripted
        ``""``) is not recorded, and None is returned as for ``--once``: its empty assistant
        message would go out with every later request of the chat, and the server refuses a
        request holding one, so one empty answer would break the chat for good. The caller shows
        :data:`EMPTY_REPLY`; the reply itself is still shown, with its tokens.
        """
        if plan.once or not reply.text.strip():
            return None
        turn = Turn(plan.prompt, replace(reply, messages=()), plan.cell_id,
                    tuple(picture.info for picture in plan.pictures), plan.kept_notes(),
                    (plan.system_before, plan.system) if plan.sets_system else (), plan.asked_in)
        chat = self.chat(plan.chat)
        with self._lock:
            self.check(plan)
            chat.replace_from(plan.keep, turn)
            chat.revision = next(self._revisions)
            if plan.sets_system or plan.undoes_system:
                chat.system = plan.system
        self._notify("turn", plan.chat)
        return turn

    def restore(self, name: str, turns: Sequence[Turn]) -> None:
        """Add ``turns`` at the end of chat ``name`` (created if new): a panel's turns that an
        earlier kernel's saved view kept, brought back (panel/carried.py). ChatBusy while a
        reply streams into it."""
        chat = self.chat(name)
        with self._lock:
            if chat.name in self._busy:
                raise self._held(chat.name)
            for turn in turns:
                chat.replace_from(len(chat.turns), turn)
            chat.revision = next(self._revisions)
        self._notify("turn", chat.name)

    def check(self, plan: Plan) -> None:
        """ChatChanged if the plan's chat had turns added, dropped or reset since it was made.

        run_exchange calls this once it holds the chat (``busy``) and before sending, so a cell
        and a panel racing on one chat never lose or interleave turns. Option and system
        changes do not count: they must not spoil a reply already streaming.
        """
        if plan.once:
            return
        with self._lock:
            chat = self._chats.get(plan.chat)
            if (chat.revision if chat else 0) != plan.revision:
                raise ChatChanged(plan.chat)

    def reset(self, name: str | None = None, *, all: bool = False) -> None:
        """Forget a chat's turns (keeping its system message and options), or, with ``all``,
        every chat: only an empty ``default`` chat remains. Refused while a reply streams in."""
        with self._lock:
            if all:
                if self._busy:
                    raise self._held(sorted(self._busy)[0])
                self._chats = {"default": Chat("default")}
                self._current = "default"
                self.system_tokens.clear()
                self._files.clear()
                name = "default"
            else:
                chat = self._idle(name)
                chat.clear()
                chat.revision = next(self._revisions)
                name = chat.name
        self._notify("reset", name)

    def delete(self, name: str) -> Deleted:
        """Remove chat ``name``; a deleted current chat hands over to 'default'. 'default'
        itself is emptied instead (turns, system message, options): it is where cells without
        --chat go when theirs is deleted, and the one `reset --all` leaves, so it always comes
        back. UnknownChat for no such chat, ChatBusy while a reply streams into it."""
        with self._lock:
            name = (chat := self._idle(name)).name
            if name == "default":
                self._chats[name] = Chat(name)  # emptied, in its place
            else:
                del self._chats[name]
            handed = "default" if name == self._current and name != "default" else None
            if handed:
                self._chats.setdefault(handed, Chat(handed))  # a loaded file may have none
                self._current = handed
            deleted = Deleted(chat, self._files.pop(name, None), handed)
        self._notify("deleted", name)
        if handed:
            self._notify("current", handed)
        return deleted

    def rename(self, old: str, new: str) -> Chat:
        """Give chat ``old`` the name ``new`` (the current chat stays current); renamed, 'default'
        starts over empty (see :meth:`delete`). ChatExists when ``new`` is taken."""
        with self._lock:
            old = (chat := self._idle(old)).name
            if (new := composed(new)) in self._chats:
                raise ChatExists(new)
            chat.name = self._names.new(new)
            chat.revision = next(self._revisions)  # a plan made for the old name is refused
            chats = {(new if key == old else key): value for key, value in self._chats.items()}
            self._chats = {"default": Chat("default"), **chats} if old == "default" else chats
            if old in self._files:
                self._files[new] = self._files.pop(old)
            if self._current == old:
                self._current = new
        self._notify("renamed", new, old)
        return chat

    def _idle(self, name: str | None) -> Chat:
        """Chat ``name`` (the current one for None), which no reply is streaming into
        (UnknownChat, ChatBusy)."""
        chat = self.chat(name, create=False)
        if chat.name in self._busy:
            raise self._held(chat.name)
        return chat

    @contextmanager
    def busy(self, name: str, asker: Asker | None = None) -> Iterator[None]:
        """Hold chat ``name`` for one request; a second concurrent one gets ChatBusy, saying what
        ends this one by where it was asked: ``asker`` (a panel says "panel"), else a cell on the
        main thread or a thread of the user's."""
        main = threading.current_thread() is threading.main_thread()
        with self._lock:
            if name in self._busy:
                raise self._held(name)
            self._busy[name] = asker or ("cell" if main else "thread")
        self._notify("busy", name)
        try:
            yield
        finally:
            with self._lock:
                self._busy.pop(name, None)
            self._notify("idle", name)

    def _held(self, name: str) -> ChatBusy:
        """ChatBusy for ``name``, saying where the request holding it was asked."""
        return ChatBusy(name, asker=self._busy.get(name, "cell"))

    def is_busy(self, name: str | None = None) -> bool:
        """Whether a request is in flight on the chat (the panel greys out Send with it)."""
        return (self._current if name is None else name) in self._busy

    # -- observers ---------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[ChatEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every change; returns a function that unsubscribes."""
        return self._observers.add(callback)

    def _notify(self, kind: str, chat: str, was: str = "") -> None:
        """Tell every observer, outside the lock (see observers.py)."""
        self._observers.notify(ChatEvent(kind, chat, was))

    # -- files -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Every chat as plain JSON-able data with ``"version": 1``."""
        with self._lock:
            return chatfile.dump(self._chats, self._current)

    def load_dict(self, data: Any) -> tuple[str, ...]:
        """Replace all chats with ``data``, validated completely first (ChatFileError); the
        notes say what of the file was left out (chatfile.parse)."""
        return self._load(data, None)

    def _load(self, data: Any, source: object, before: Callable[[Mapping[str, Chat]], object] = lambda _: None,
              named: Callable[[str], str] = str) -> tuple[str, ...]:
        chats, current, notes = chatfile.parse(data, source, named)
        with self._lock:
            if self._busy:
                raise self._held(sorted(self._busy)[0])
            before(chats)   # under the lock: a panel reply landing now cannot miss the copy
            for chat in chats.values():
                chat.revision = next(self._revisions)
            self._chats, self._current = chats, current
            self.system_tokens.clear()
            self._files = dict.fromkeys(chats, Path(source)) if isinstance(source, (str, Path)) else {}
        self._notify("loaded", current)
        self._notify("current", current)  # the file's current chat, which a following panel shows
        return notes

    def save(self, path: str | Path, hide: Callable[[str], str] | None = None) -> bool:
        """Write every chat to a JSON file (atomically: a failed save leaves the old file),
        each of its texts passed through ``hide`` (the commands mask credentials with it);
        True when ``hide`` changed any."""
        data = self.to_dict()
        written = chatfile.each_text(data, hide) if hide is not None else data
        chatfile.write(path, written)
        with self._lock:
            self._files.update(dict.fromkeys((chat["name"] for chat in data["chats"]), Path(path)))
        return written != data

    def load(self, path: str | Path, before: Callable[[Mapping[str, Chat]], object] = lambda _: None,
             named: Callable[[str], str] = str) -> tuple[str, ...]:
        """Replace every chat with those saved by :meth:`save`; a bad file is refused and the
        chats are kept. ``before(chats)`` runs once the file is found good, just before the chats
        are replaced by them (``%ygpt load`` keeps a copy there); if it raises, nothing changes. The
        notes say what of the file was left out (chatfile.parse); ``named`` makes the chats' names
        of the file's (chatfile.parse)."""
        return self._load(chatfile.read(path), path, before, named)

    def export_markdown(self, name: str | None = None) -> str:
        """A readable transcript of one chat: system, user, assistant, usage."""
        return transcript(self.chat(name, create=False))
