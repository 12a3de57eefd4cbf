"""ChatSession: the notebook's chats, and the rules for what one request sends.

The magics and the widget panel are two views over one ChatSession, so everything that decides
what goes to the model lives here, in plain Python with no IPython import: which chat, rewinding
when a cell re-runs, trimming to the context budget, ``--once``. Computing a :class:`Plan` changes
nothing; only :meth:`ChatSession.record` does, after a reply is complete, so an error or an
interrupt leaves every chat exactly as it was.

The panel sends requests from a background thread, so mutations hold a lock, a chat accepts one
request at a time (:meth:`ChatSession.busy`), and observers are told about every change.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import chatfile
from .chat import (
    BUILTIN, FORMATS, UNSET, Chat, Options, Reply, Turn, Usage, build_messages, counted,
    short_model, shown,
)
from .errors import ChatBusy, ChatChanged, ContextTooLong, OptionError, UnknownChat
from .observers import Observers

__all__ = [
    "BUILTIN", "FORMATS", "UNSET", "Chat", "ChatEvent", "ChatSession", "Options", "Plan", "Reply",
    "Turn", "Usage", "counted", "short_model",
]

CountTokens = Callable[[list[dict[str, str]]], int]
_KEEP = object()  # "leave the system message as it is" for configure()
#: per-message allowance (role, separators) on top of UTF-8 bytes for the no-tokenizer bound
MESSAGE_OVERHEAD = 8


def upper_bound_tokens(system: str | None, history: list[Turn], prompt: str) -> int:
    """A size no tokenizer exceeds (≤ 1 token per UTF-8 byte, plus per-message overhead), so
    the tokenizer API is only asked when a request might not fit the budget. It adds up the
    sizes the turns stored when they were made: a long chat is not encoded again each cell."""
    size = sum(turn.utf8_size for turn in history) + 2 * MESSAGE_OVERHEAD * len(history)
    size += len(prompt.encode()) + MESSAGE_OVERHEAD
    if system:
        size += len(system.encode()) + MESSAGE_OVERHEAD
    return size + MESSAGE_OVERHEAD


@dataclass(frozen=True)
class ChatEvent:
    """What changed: kind is created, turn, reset, options, busy, idle, loaded or current."""

    kind: str
    chat: str


@dataclass(frozen=True)
class Plan:
    """What one request will send, and what recording its reply will do to the chat."""

    chat: str
    prompt: str
    cell_id: str | None
    once: bool
    options: Options
    messages: list[dict[str, str]]
    keep: int
    rewound: int
    trimmed: int
    system: str | None = None  # the system message sent
    sets_system: bool = False  # the cell gave a new system message: record() keeps it
    revision: int = 0  # the chat's revision when planned (see ChatSession.check)
    replaces: bool = False  # this cell's previous turn is replaced (re-run)
    tokens: int | None = None  # counted size of messages, when a budget was checked
    budget: int | None = None
    context_notes: tuple[str, ...] = ()  # what interpolation rendered or cut (interpolate.py)

    def notes(self) -> list[str]:
        """One-line notes shown above the reply, so history changes and cut values are never
        silent."""
        notes = list(self.context_notes)
        if self.replaces:
            later = f" and {counted(self.rewound, 'later turn')} were" if self.rewound else " was"
            notes.append(f"↺ Re-ran this cell: its previous turn{later} dropped from chat '{self.chat}'.")
        if self.trimmed:
            oldest = "oldest turn was" if self.trimmed == 1 else f"{self.trimmed} oldest turns were"
            notes.append(
                f"✂ The {oldest} left out to fit the context budget of {self.budget} tokens "
                f"(still kept in the chat)."
            )
        return notes


def _checked_name(name: Any) -> str:
    """Chat names are shown in outputs and saved in files: short, non-empty text."""
    if not isinstance(name, str) or not name.strip() or len(name) > chatfile.MAX_NAME:
        raise OptionError(
            f"A chat name must be non-empty text of at most {chatfile.MAX_NAME} characters, "
            f"not {shown(name)}; e.g. --chat translator."
        )
    return name


def _check_sendable(what: str, text: str | None) -> None:
    """Refuse text that cannot be encoded as UTF-8 (lone surrogates from a broken paste) here,
    with a message, instead of deep in gRPC with a traceback."""
    if text is None:
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise OptionError(
            f"The {what} contains a character that cannot be sent (an unpaired surrogate "
            f"{text[error.start]!a} at position {error.start}, usually from a broken copy-paste); "
            f"remove it and run the cell again."
        ) from None


class ChatSession:
    """All chats of one notebook, the current chat's name, and the observers watching them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._chats: dict[str, Chat] = {"default": Chat("default")}
        self._current = "default"
        self._busy: set[str] = set()
        self._observers: Observers[ChatEvent] = Observers()
        self._system_tokens: dict[tuple[str, str], int] = {}
        self._revisions = itertools.count(1)

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
        self.chat(name)
        with self._lock:
            self._current = name
        self._notify("current", name)

    def chat(self, name: str | None = None, create: bool = True) -> Chat:
        """The chat called ``name`` (the current one by default), created on first use."""
        name = self._current if name is None else name
        with self._lock:
            if name in self._chats:
                return self._chats[name]
            if not create:
                raise UnknownChat(name, list(self._chats))
            chat = self._chats[name] = Chat(_checked_name(name))
        self._notify("created", name)
        return chat

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

    def plan(
        self,
        prompt: str,
        *,
        chat: str | None = None,
        cell_id: str | None = None,
        append: bool = False,
        once: bool = False,
        system: str | None = None,
        options: Options | None = None,
        budget: int | None = None,
        count_tokens: CountTokens | None = None,
    ) -> Plan:
        """Decide what to send for ``prompt``; changes nothing (see the module docstring).

        Rewind: if ``cell_id`` already has a turn in the chat (its latest one) and not ``append``,
        the history is the turns before it. Trim: with ``budget`` and ``count_tokens``, the
        oldest turns are left out until everything fits; the tokenizer is only asked when the
        request's upper bound (its UTF-8 size) exceeds the budget, and each turn is counted
        once, ever.
        ``options``: what the request uses, resolved by ``planning.resolve`` (the chat's options,
        the cell's flags and the notebook's settings); by default the chat's own options with the
        built-in defaults where it sets none.
        ``once``: prompt mode reads no history and writes none; it borrows the chat's options,
        but its system message is only the ``system`` given here. An unknown named chat is an
        error for ``once`` (it never creates one).
        """
        name = self._current if chat is None else _checked_name(chat)
        _check_sendable("prompt", prompt)
        _check_sendable("system message", system)
        with self._lock:
            # A chat named for the first time is created by record(), not here.
            source = self._chats.get(name) or Chat(name)
            if once and name not in self._chats:
                raise UnknownChat(name, list(self._chats))
            turns = [] if once else list(source.turns)
            rerun = source.last_turn_of(cell_id) if cell_id is not None and not (append or once) else None
            system_text = system if (once or system is not None) else source.system
            revision = source.revision
        if options is None:
            options = source.options.with_defaults(BUILTIN)
        replaces = rerun is not None
        keep = rerun if rerun is not None else len(turns)
        rewound = len(turns) - keep - 1 if replaces else 0
        history = turns[:keep]
        trimmed, tokens = 0, None
        if budget is not None and count_tokens is not None:
            trimmed, tokens = self._fit(system_text, history, prompt, options, budget, count_tokens)
        return Plan(
            chat=name, prompt=prompt, cell_id=cell_id, once=once, options=options,
            messages=build_messages(system_text or None, history[trimmed:], prompt),
            keep=keep, rewound=rewound, trimmed=trimmed, system=system_text or None,
            replaces=replaces, tokens=tokens, budget=budget if tokens is not None else None,
            sets_system=not once and system is not None, revision=revision,
        )

    def _fit(
        self, system: str | None, history: list[Turn], prompt: str, options: Options,
        budget: int, count_tokens: CountTokens,
    ) -> tuple[int, int | None]:
        """How many oldest turns to leave out, and the resulting size, for ``budget`` tokens.

        Nothing is counted (size None) when the upper bound fits. Otherwise counts newest turns
        first and stops at the first that does not fit, so old turns that are left out are
        never counted; a turn's count is kept on the turn, per model.
        """
        if upper_bound_tokens(system, history, prompt) <= budget:
            return 0, None
        model = options.model
        fixed = count_tokens([{"role": "user", "text": prompt}])
        if system:
            key = (model, system)
            if key not in self._system_tokens:
                self._system_tokens[key] = count_tokens([{"role": "system", "text": system}])
            fixed += self._system_tokens[key]
        if fixed > budget:
            raise ContextTooLong(fixed, budget)
        total = fixed
        for index in range(len(history) - 1, -1, -1):
            turn = history[index]
            if model not in turn._tokens:
                turn._tokens[model] = count_tokens(list(turn.messages()))
            if total + turn._tokens[model] > budget:
                return index + 1, total
            total += turn._tokens[model]
        return 0, total

    def record(self, plan: Plan, reply: Reply) -> Turn | None:
        """Apply a finished plan: drop rewound turns, set the system message, add the turn.

        The turn keeps the reply without its ``messages`` (the history sent with it): every
        turn holding the whole history before it would make memory grow with the square of
        the chat's length. The returned reply (``_ygpt``) still has them.
        """
        if plan.once:
            return None
        turn = Turn(plan.prompt, replace(reply, messages=()), plan.cell_id)
        chat = self.chat(plan.chat)
        with self._lock:
            self.check(plan)
            chat.replace_from(plan.keep, turn)
            chat.revision = next(self._revisions)
            if plan.sets_system:
                chat.system = plan.system
        self._notify("turn", plan.chat)
        return turn

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
                    raise ChatBusy(sorted(self._busy)[0])
                self._chats = {"default": Chat("default")}
                self._current = "default"
                self._system_tokens.clear()
                name = "default"
            else:
                chat = self.chat(name, create=False)
                if chat.name in self._busy:
                    raise ChatBusy(chat.name)
                chat.clear()
                chat.revision = next(self._revisions)
                name = chat.name
        self._notify("reset", name)

    @contextmanager
    def busy(self, name: str) -> Iterator[None]:
        """Hold chat ``name`` for one request; a second concurrent one gets ChatBusy."""
        with self._lock:
            if name in self._busy:
                raise ChatBusy(name)
            self._busy.add(name)
        self._notify("busy", name)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(name)
            self._notify("idle", name)

    def is_busy(self, name: str | None = None) -> bool:
        """Whether a request is in flight on the chat (the panel greys out Send with it)."""
        return (self._current if name is None else name) in self._busy

    # -- observers ---------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[ChatEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every change; returns a function that unsubscribes."""
        return self._observers.add(callback)

    def _notify(self, kind: str, chat: str) -> None:
        """Tell every observer, outside the lock (see observers.py)."""
        self._observers.notify(ChatEvent(kind, chat))

    # -- files -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Every chat as plain JSON-able data with ``"version": 1``."""
        with self._lock:
            return chatfile.dump(self._chats, self._current)

    def load_dict(self, data: Any) -> None:
        """Replace all chats with ``data``, validated completely first (ChatFileError)."""
        self._load(data, None)

    def _load(self, data: Any, source: object) -> None:
        chats, current = chatfile.parse(data, source)
        with self._lock:
            if self._busy:
                raise ChatBusy(sorted(self._busy)[0])
            for chat in chats.values():
                chat.revision = next(self._revisions)
            self._chats, self._current = chats, current
            self._system_tokens.clear()
        self._notify("loaded", current)

    def save(self, path: str | Path) -> None:
        """Write every chat to a JSON file (atomically: a failed save leaves the old file)."""
        chatfile.write(path, self.to_dict())

    def load(self, path: str | Path) -> None:
        """Read chats saved by :meth:`save`; a bad file is refused and the chats are kept."""
        self._load(chatfile.read(path), path)

    def export_markdown(self, name: str | None = None) -> str:
        """A readable transcript of one chat: system, user, assistant, usage."""
        return chatfile.transcript(self.chat(name, create=False))
