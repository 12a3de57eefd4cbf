"""Planning one request: the single rule a ``%%ygpt`` cell and the panel's Send both follow.

What a request sends depends on the chat (its history, the rewind rule, ``--once``), on its
options, on the notebook's settings and on the context budget (``YGptMagics.context_budget``, else
the model's context size minus ``max_tokens``). Both views call :func:`plan_request`, so a panel
request is trimmed, defaulted and budgeted exactly like a cell, and each request is planned once.
A :class:`Plan` changes nothing; ``ChatSession.record`` applies it once the reply is complete.

Which value an option takes is decided by :func:`resolve` alone, for cells, the panel and
``%ygpt config`` alike: a cell's flag (that cell only), else the chat's option if it is set, else
the ``YGptMagics`` setting, else the built-in default (``values.BUILTIN``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ContextTooLong, ImagesNotTaken, OptionError, UnknownChat
from ..errors.too_long import Room
from ..modelname import model_name
from ..words import numbered
from .catalog import IMAGE_MODELS, MODELS, context_size, takes_images
from .counting import CountTokens, Tokenizes, Waiting, count_back
from .filetext import note, withheld
from .options import BUILTIN, Options, RequestOptions, unencodable
from .pictures import PICTURE_TOKENS, Picture
from .rewind import chat_for, kept_by_once, repeated, rerun_notes, rewind_point, system_after_rewind, turn_elsewhere
from .session import ChatSession
from .values import Message, Turn, build_messages

#: per-message allowance (role, separators) on top of UTF-8 bytes for the no-tokenizer bound
MESSAGE_OVERHEAD = 8


@dataclass(frozen=True)
class Plan:
    """What one request will send, and what recording its reply will do to the chat."""

    chat: str
    prompt: str
    cell_id: str | None
    once: bool
    options: RequestOptions
    messages: list[Message]
    keep: int
    rewound: int
    trimmed: int
    system: str | None = None  # the system message sent
    sets_system: bool = False  # the cell gave a new system message: record() keeps it
    #: the rewind drops the cell that set the chat's system message: record() puts back the one
    #: before it (``system`` then holds it, unless this cell sets its own)
    undoes_system: bool = False
    system_before: str | None = None  # the chat's system message before this cell's --system
    asked_in: int | None = None  # the In [N] of the cell run asking (kept on the turn)
    #: the current chat, when this re-run went to the chat holding its cell's turn instead
    current_chat: str | None = None
    #: the chat keeping this cell's earlier turn, when the request goes to another one
    earlier_turn_in: str | None = None
    revision: int = 0  # the chat's revision when planned (see ChatSession.check)
    replaces: bool = False  # this cell's previous turn is replaced (re-run)
    #: the In [N] of the first and the last turn trimmed (None: not asked in this session)
    left_out: tuple[int | None, int | None] = (None, None)
    tokens: int | None = None  # counted size of messages, when a budget was checked
    budget: int | None = None
    context_notes: tuple[str, ...] = ()  # what interpolation rendered or cut (context/interpolate.py)
    pictures: tuple[Picture, ...] = ()  # sent with the prompt; the turn keeps their placeholders
    masked: tuple[tuple[int, str], ...] = ()  # (turn number, what) of replies sent masked: filetext.py
    #: the note on an earlier turn of this cell left in its chat by --once (rewind.kept_by_once)
    turn_note: str = ""
    repeats: int | None = None  # the loaded turn a cell with no id asks again (rewind.repeated)

    def notes(self, *, dry: bool = False) -> list[str]:
        """One-line notes shown above the reply, so history changes, cut values and pictures not
        sent as given are never silent; ``dry``: above a ``--dry-run``, which changes nothing, so
        the re-run's notes say what running the cell would do."""
        notes = list(self.context_notes)
        notes += self._picture_notes()
        notes += rerun_notes(self, dry=dry)
        if self.turn_note:
            notes.append(self.turn_note)
        return notes + self._trim_notes() + self._mask_notes()

    def kept_notes(self) -> tuple[str, ...]:
        """The notes the recorded turn keeps: what was sent differently from what was written
        (not the re-run's, which is about the turns it replaced, not this one)."""
        return (*self.context_notes, *self._picture_notes(), *self._trim_notes(), *self._mask_notes())

    def _picture_notes(self) -> list[str]:
        return [f"🖼 {picture.note}" for picture in self.pictures if picture.note]

    def _mask_notes(self) -> list[str]:
        """Replies read from a chat file, sent masked (chat/filetext.py): a chat of this kernel
        alone has none, and its cells never reach that module."""
        return note(self.chat, self.masked) if self.masked else []

    def _trim_notes(self) -> list[str]:
        """Which turns were left out, by the numbers and ``In [N]`` that ``%ygpt history`` uses,
        and where to see them."""
        if not self.trimmed:
            return []
        first, last = self.left_out
        cells = "" if first is None or last is None else (
            f" (In [{first}])" if self.trimmed == 1 else f" (In [{first}]–In [{last}])")
        were = "was" if self.trimmed == 1 else "were"
        return [f"✂ {numbered('Turn', range(1, self.trimmed + 1))}{cells} {were} left out to fit the "
                f"context budget of {self.budget:,} tokens; {'it stays' if self.trimmed == 1 else 'they stay'} "
                f"in the chat (%ygpt export shows every turn)."]


class Settings(Protocol):
    """The notebook-wide settings a plan reads (YGptMagics has them as traitlets); read-only, so
    any value of a narrower type fits (traitlets types an optional Float as ``int | None``)."""

    @property
    def model(self) -> str: ...
    @property
    def temperature(self) -> float | None: ...
    @property
    def max_tokens(self) -> int | None: ...
    @property
    def default_format(self) -> str: ...
    @property
    def context_budget(self) -> int | None: ...


@dataclass(frozen=True)
class DefaultSettings:
    """The settings when there is no YGptMagics (a panel built in code, tests): the built-ins."""

    model: str = BUILTIN.model
    temperature: float | None = None
    max_tokens: int | None = None
    default_format: str = BUILTIN.format
    context_budget: int | None = None


#: The option each notebook-wide setting gives a default for (reasoning and json have none).
SETTING_FOR = {"model": "model", "temperature": "temperature", "max_tokens": "max_tokens",
               "format": "default_format"}


def setting_defaults(settings: Settings | None) -> Options:
    """The notebook's settings as options: what a chat's unset options take."""
    settings = settings or DefaultSettings()
    return Options(**{option: getattr(settings, name) for option, name in SETTING_FOR.items()})


def resolve(options: Options, settings: Settings | None) -> RequestOptions:
    """The options a request uses: ``options`` where set (a chat's, or a chat's with a cell's
    flags applied), else the setting, else the built-in default; model and format always set.
    One pass, validated once as the RequestOptions it makes (not an Options of the settings and
    a copy per layer of defaults, each validated and thrown away)."""
    values, defaults = options.to_dict(), settings or DefaultSettings()
    for option, setting in SETTING_FOR.items():
        if values[option] is None:
            value = getattr(defaults, setting)
            values[option] = getattr(BUILTIN, option) if value is None else value
    return RequestOptions(**values)


def sources(options: Options, settings: Settings | None) -> dict[str, str]:
    """Where each of :func:`resolve`'s values comes from, for ``%ygpt config`` and the panel:
    ``chat``, ``YGptMagics.<name>`` (a setting that differs from the built-in), or ``built-in``."""
    unset, defaults = Options(), setting_defaults(settings)
    found = {}
    for name, value in options.to_dict().items():
        setting = getattr(defaults, name)
        if value != getattr(unset, name):
            found[name] = "chat"
        elif setting is not None and setting != getattr(BUILTIN, name):
            found[name] = f"YGptMagics.{SETTING_FOR[name]}"
        else:
            found[name] = "built-in"
    return found


def chat_options(session: ChatSession, chat: str | None) -> Options:
    """The options set for a chat (none for a chat that does not exist yet)."""
    existing = session.chats.get(session.current if chat is None else chat)
    return existing.options if existing is not None else Options()


def effective_options(session: ChatSession, chat: str | None, settings: Settings | None) -> RequestOptions:
    """What the chat's next request uses, without per-cell flags (``%ygpt config`` shows these)."""
    return resolve(chat_options(session, chat), settings)


def context_budget(options: RequestOptions, settings: Settings | None) -> int | None:
    """Tokens a request with ``options`` may use: the setting, else the model's context size
    minus the reply's ``max_tokens``; None (no trimming) for a model of unknown size. A
    ``max_tokens`` that fills the model's context is refused here, before anything is sent."""
    size = context_size(options.model)
    if size is not None and (options.max_tokens or 0) >= size:
        raise OptionError(
            f"max_tokens is {options.max_tokens}, but {model_name(options.model).short}'s context holds {size:,} "
            f"tokens for the prompt and the reply together, so no prompt would fit. Use a "
            f"smaller --max-tokens (e.g. {size // 4}).")
    budget = (settings or DefaultSettings()).context_budget
    if budget is not None:
        return budget
    return None if size is None else size - (options.max_tokens or 0)


def room(options: RequestOptions, budget: int, needed: int, *, images: bool = False) -> Room:
    """What ``options``' model leaves for a prompt of ``needed`` tokens over ``budget``, for the
    advice of ContextTooLong (errors/too_long.py): a budget equal to what the model holds is
    taken for the model's own (a setting of exactly that number acts the same for this model),
    and the longer model offered is the catalogue's smallest context that holds the prompt and
    the reply (one that takes pictures, for a request with ``images``)."""
    size, reply = context_size(options.model), options.max_tokens or 0
    holds = None if size is None else size - reply
    fits = [model for model in MODELS if model.context - reply >= needed and model.context > (size or 0)
            and (model.images or not images)]
    longer = min(fits, key=lambda model: model.context, default=None)
    return Room(model_name(options.model).short, holds, reply, setting=budget != holds,
                longer=None if longer is None else (longer.name, longer.context))


def upper_bound_tokens(system: str | None, history: Sequence[Turn], prompt: str,
                       pictures: int = 0) -> int:
    """A size no tokenizer exceeds (≤ 1 token per UTF-8 byte, plus per-message overhead, plus
    a picture's fixed cost), so the tokenizer API is only asked when a request might not fit the
    budget. It adds up the sizes the turns stored when they were made: a long chat is not encoded
    again each cell."""
    size = sum(turn.utf8_size for turn in history) + 2 * MESSAGE_OVERHEAD * len(history)
    size += len(prompt.encode()) + MESSAGE_OVERHEAD + PICTURE_TOKENS * pictures
    if system:
        size += len(system.encode()) + MESSAGE_OVERHEAD
    return size + MESSAGE_OVERHEAD


def fit(
    session: ChatSession, system: str | None, history: Sequence[Turn], prompt: str,
    options: RequestOptions, budget: int, count_tokens: CountTokens, pictures: int = 0,
) -> tuple[int, int | None]:
    """How many oldest turns to leave out, and the resulting size, for ``budget`` tokens.

    Nothing is counted (size None) when the upper bound fits. Otherwise the turns are counted
    newest first, and old turns that are left out are never counted (counting.count_back). A
    prompt that does not fit alone is ContextTooLong, with the :func:`room` that would hold it.
    """
    model = options.model
    if upper_bound_tokens(system, history, prompt, pictures) <= budget:
        return 0, None
    fixed = count_tokens([{"role": "user", "text": prompt}]) + PICTURE_TOKENS * pictures
    if system:
        fixed += session.system_tokens.count(model, system,
                                       lambda text: count_tokens([{"role": "system", "text": text}]))
    if fixed > budget:
        raise ContextTooLong(fixed, budget, room=room(options, budget, fixed, images=pictures > 0))
    asks = count_tokens if isinstance(count_tokens, Tokenizer) else None
    return count_back(history, model, fixed, budget, count_tokens, asks)


def plan(
    session: ChatSession,
    prompt: str,
    *,
    chat: str | None = None,
    cell_id: str | None = None,
    append: bool = False,
    once: bool = False,
    system: str | None = None,
    options: RequestOptions | None = None,
    budget: int | None = None,
    count_tokens: CountTokens | None = None,
    pictures: tuple[Picture, ...] = (),
    asked_in: int | None = None,
) -> Plan:
    """Decide what to send for ``prompt`` in chat ``chat``; changes nothing.

    Rewind (:func:`rewind_point`): if ``cell_id`` already has a turn in the chat and not
    ``append``, the history is the turns before it. A cell that names no chat goes back to the
    chat holding its turn (:func:`chat_for`), even after ``%ygpt chat`` made another current.
    Trim (:func:`fit`): with ``budget`` and ``count_tokens``, the oldest turns are left out until
    everything fits.
    ``options``: what the request uses (:func:`resolve`); by default the chat's own options with
    the built-in defaults where it sets none.
    ``once``: prompt mode reads no history and writes none; it borrows the chat's options,
    but its system message is only the ``system`` given here. An unknown named chat is an
    error for ``once`` (it never creates one).
    ``pictures`` go with the prompt; the model must take them (ImagesNotTaken otherwise), and
    the recorded turn keeps their placeholders.
    """
    _check_sendable("prompt", prompt)
    _check_sendable("system message", system)
    target = chat_for(session, chat, cell_id, append=append, once=once)
    state = session.state(target, cell_id)
    if once and not state.exists:
        raise UnknownChat(state.name, list(session.chats))
    turns = () if once else state.turns
    rerun = rewind_point(state, append=append, once=once, asked_in=asked_in)
    base_system = state.system if rerun is None else system_after_rewind(state, rerun)
    system_text = system if (once or system is not None) else base_system
    if options is None:
        options = RequestOptions.of(state.options.with_defaults(BUILTIN))
    if pictures and not takes_images(options.model):
        raise ImagesNotTaken(options.model, IMAGE_MODELS)
    keep = rerun if rerun is not None else len(turns)
    history = turns[:keep]
    trimmed, tokens = 0, None
    if budget is not None and count_tokens is not None:
        trimmed, tokens = fit(session, system_text, history, prompt, options, budget, count_tokens,
                              len(pictures))
    return Plan(
        chat=state.name, prompt=prompt, cell_id=cell_id, once=once, options=options,
        messages=build_messages(system_text or None, list(history[trimmed:]), prompt, pictures),
        keep=keep, rewound=len(turns) - keep - 1 if rerun is not None else 0, trimmed=trimmed,
        left_out=(history[0].asked_in, history[trimmed - 1].asked_in) if trimmed else (None, None),
        masked=withheld(history[trimmed:], trimmed + 1) if any(turn.from_file for turn in history) else (),
        system=system_text or None, replaces=rerun is not None, tokens=tokens,
        budget=budget if tokens is not None else None,
        sets_system=not once and system is not None, revision=state.revision, pictures=pictures,
        undoes_system=base_system != state.system, system_before=base_system, asked_in=asked_in,
        current_chat=session.current if chat is None and state.name != session.current else None,
        earlier_turn_in=turn_elsewhere(session, state, cell_id) if rerun is None and not once else None,
        turn_note=kept_by_once(session, cell_id, asked_in) if once else "",
        repeats=repeated(state, prompt, cell_id, asked_in) if rerun is None and not once else None,
    )


def plan_request(
    session: ChatSession,
    prompt: str,
    *,
    settings: Settings | None,
    get_client: Callable[[], Any],
    chat: str | None = None,
    cell_id: str | None = None,
    append: bool = False,
    once: bool = False,
    system: str | None = None,
    flags: Mapping[str, Any] | None = None,
    pictures: tuple[Picture, ...] = (),
    asked_in: int | None = None,
    waiting: Callable[[str], Waiting] | None = None,
) -> Plan:
    """The plan for ``prompt``: ``flags`` (this request's options, None = not given) over the
    chat's options, resolved (:func:`resolve`), trimmed to the context budget.

    ``get_client`` is called only if the tokenizer must be asked, which happens only when the
    request's UTF-8 size might exceed the budget (see :func:`fit`); ``waiting`` makes the
    cell's waiting line if turns are then counted at once (:class:`Tokenizer`).
    """
    # the options of the chat the request goes to, which a re-run cell finds as plan() does
    options = request_options(session, chat_for(session, chat, cell_id, append=append, once=once),
                              flags, settings)
    return plan(session, prompt, chat=chat, cell_id=cell_id, append=append, once=once,
                system=system, options=options, budget=context_budget(options, settings),
                count_tokens=Tokenizer(get_client, options, waiting), pictures=pictures,
                asked_in=asked_in)


def request_options(session: ChatSession, chat: str | None, flags: Mapping[str, Any] | None,
                    settings: Settings | None) -> RequestOptions:
    """What a request of chat ``chat`` uses: ``flags`` (None = not given) over the chat's
    options, resolved (:func:`resolve`)."""
    return resolve(chat_options(session, chat).with_changes(**(flags or {})), settings)


@dataclass(frozen=True)
class Tokenizer:
    """The tokenizer API for ``options``' model, the client built only if it is asked: called
    with one request's messages, or :meth:`each` for many at once. ``waiting`` makes the cell's
    waiting line (with the model) the first time a request's turns are counted at once
    (counting.Waves tells it of each wave)."""

    get_client: Callable[[], Tokenizes]
    options: RequestOptions
    waiting: Callable[[str], Waiting] | None = None

    def __call__(self, messages: list[Message]) -> int:
        return self.get_client().count_tokens(messages, self.options)

    def each(self, requests: list[list[Message]], slow: Callable[[], None] | None = None) -> list[int]:
        """The count of each request, asked all at once; ``slow`` is called if that takes long
        (client.loop.SLOW_AFTER)."""
        return self.get_client().count_tokens_each(requests, self.options, slow)


def _check_sendable(what: str, text: str | None) -> None:
    """Refuse text that cannot be encoded as UTF-8 (lone surrogates from a broken paste) here,
    with a message, instead of deep in gRPC with a traceback."""
    problem = None if text is None else unencodable(text)
    if problem:
        raise OptionError(f"The {what} contains a character that cannot be sent ({problem}); "
                          f"remove it and run the cell again.")
