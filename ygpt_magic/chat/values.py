"""The values a chat is made of: options, usage, replies, turns, and the chat itself.

Plain data with validation and no I/O, so the magics, the panel, the chat file and the tests can
all build and compare them. ``ygpt_magic.chat`` exports the public names.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from itertools import chain
from typing import Any

from ..errors import OptionError
from ..words import counted
from .catalog import LARGEST_CONTEXT
from .pictures import Picture, PictureInfo, with_placeholders
from .tooluse import ToolCall, tool_messages, tool_size

FORMATS = ("markdown", "text", "code", "json")

# How a non-FINAL status reads in a footer; unknown statuses fall back to their lower-cased name.
_STATUS_WORDS = {
    "TRUNCATED_FINAL": "cut at max tokens",
    "CONTENT_FILTER": "stopped by the content filter",
    "INTERRUPTED": "interrupted",
}


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlevel = 60, 60, 2


def shown(value: Any) -> str:
    """A short repr for messages: a hostile value (huge, deeply nested) must not flood them."""
    return _SHORT.repr(value)


def unencodable(text: str) -> str | None:
    """What in ``text`` cannot be written as UTF-8 (an unpaired surrogate, from a broken
    copy-paste or a ``"\\ud800"`` escape), said for a message; None when all of it can. Such
    text would fail later, where it is sent or saved, with a UnicodeEncodeError traceback."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return (f"an unpaired surrogate {text[error.start]!a} at position {error.start}, "
                f"usually from a broken copy-paste")
    return None


class _Unset:
    """The type of :data:`UNSET`; one instance, so ``is UNSET`` is the test."""

    def __repr__(self) -> str:
        return "UNSET"


#: ``Options.with_changes(model=UNSET)`` takes an option back to "not set for this chat", so the
#: notebook's setting (``YGptMagics``), else the built-in default, applies again. ``None`` cannot
#: mean that, because ``with_changes`` takes ``None`` as "keep" (a flag that was not given).
UNSET: Any = _Unset()


def _number(name: str, value: Any, hint: str) -> float:
    """Accept ints, floats and numeric strings (flags arrive as text); refuse bools, NaN and
    infinity (which pass a range check or end as an OverflowError when made whole)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise OptionError(f"{name} must be a number, not {shown(value)}; {hint}.") from None
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or isinstance(value, float) and math.isnan(value)):  # (a huge int is no float)
        raise OptionError(f"{name} must be a number, not {shown(value)}; {hint}.")
    if isinstance(value, float) and math.isinf(value):
        raise OptionError(f"{name} must be a finite number, not {value}; {hint}.")
    return value


@dataclass(frozen=True)
class Options:
    """How a chat asks the model; validated on creation so a bad flag fails before any request.

    A chat's options hold only what the user set (the panel, ``%ygpt config --model ...``, a chat
    file; ``ChatSession.configure`` underneath); ``None`` is "not set": the notebook's
    ``YGptMagics`` setting applies, else the built-in default (:data:`BUILTIN`). Keeping "not set"
    apart from a set value is what lets a chat choose ``yandexgpt`` while the notebook's default
    is ``yandexgpt-lite``. ``planning.resolve`` turns
    these into the options a request uses, where model and format are always set. ``reasoning``
    and ``json`` have no notebook-wide setting, so off is their "not set".
    """

    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning: bool = False
    json: bool = False
    format: str | None = None
    #: names of the notebook functions the chat offers as tools (``%ygpt config --tools f,g``)
    tools: tuple[str, ...] = ()
    #: ``auto``, ``none``, ``required`` or a tool's name; None: not sent (the service's ``auto``)
    tool_choice: str | None = None

    def __post_init__(self) -> None:
        if self.model is not None:
            if not isinstance(self.model, str) or not self.model.strip() or len(self.model) > 500:
                raise OptionError(
                    f"model must be a non-empty name (at most 500 characters), not "
                    f"{shown(self.model)}; use e.g. yandexgpt, yandexgpt-lite, yandexgpt/rc or "
                    f"gpt://<folder_id>/yandexgpt/latest."
                )
            object.__setattr__(self, "model", self.model.strip())
        if self.temperature is not None:
            hint = "use a value from 0 to 1, e.g. --temperature 0.3"
            temperature = float(_number("temperature", self.temperature, hint))
            if not 0 <= temperature <= 1:
                raise OptionError(f"temperature must be from 0 to 1, not {temperature:g}; {hint}.")
            object.__setattr__(self, "temperature", temperature)
        if self.max_tokens is not None:
            hint = "use a whole number ≥ 1, e.g. --max-tokens 500"
            tokens = _number("max_tokens", self.max_tokens, hint)
            if tokens != int(tokens) or tokens < 1:
                raise OptionError(f"max_tokens must be a positive whole number, not {tokens:g}; {hint}.")
            if tokens > LARGEST_CONTEXT:
                raise OptionError(f"max_tokens must be at most {LARGEST_CONTEXT} (the largest "
                                  f"context of any model), not {shown(tokens)}; {hint}.")
            object.__setattr__(self, "max_tokens", int(tokens))
        for flag in ("reasoning", "json"):
            if not isinstance(getattr(self, flag), bool):
                raise OptionError(f"{flag} must be true or false, not {shown(getattr(self, flag))}.")
        self._check_tools()
        if self.format is not None and self.format not in FORMATS:
            raise OptionError(
                f"format must be one of {', '.join(FORMATS)}, not {shown(self.format)}; "
                f"e.g. --format markdown."
            )

    def _check_tools(self) -> None:
        names = (self.tools.split(",") if isinstance(self.tools, str) else self.tools)
        if not isinstance(names, (list, tuple)) or not all(
                isinstance(n, str) and all(p.isidentifier() for p in n.strip().split("."))
                for n in names):
            raise OptionError(f"tools must be function names, not {shown(self.tools)}; "
                              f"e.g. --tools get_sales,get_weather.")
        object.__setattr__(self, "tools", tuple(n.strip() for n in names))
        choice = self.tool_choice
        if choice is not None and not (isinstance(choice, str) and choice.isidentifier()):
            raise OptionError(f"tool_choice must be auto, none, required or a tool's name, not "
                              f"{shown(choice)}; e.g. --tool-choice required.")

    def with_changes(self, **changes: Any) -> Options:
        """A copy with some options changed, validated anew: ``None`` keeps an option (a flag
        that was not given), :data:`UNSET` makes it "not set" again."""
        unknown = set(changes) - _OPTION_DEFAULTS.keys()
        if unknown:
            raise OptionError(
                f"Unknown option {', '.join(sorted(unknown))}; the options are "
                f"{', '.join(_OPTION_DEFAULTS)}."
            )
        given = {k: _OPTION_DEFAULTS[k] if v is UNSET else v for k, v in changes.items() if v is not None}
        return replace(self, **given) if given else self

    def with_defaults(self, defaults: Options) -> Options:
        """These options where set, ``defaults``' values where not."""
        filled = {name: getattr(defaults, name) for name in _OPTION_DEFAULTS
                  if getattr(self, name) is None and getattr(defaults, name) is not None}
        return replace(self, **filled) if filled else self

    def set_fields(self) -> dict[str, Any]:
        """The options that are set (differ from "not set"), as saved in a chat file."""
        return {name: getattr(self, name) for name, default in _OPTION_DEFAULTS.items()
                if getattr(self, name) != default}

    def to_dict(self) -> dict[str, Any]:
        """Every option's plain value."""
        return {name: getattr(self, name) for name in _OPTION_DEFAULTS}


#: each option's "not set" value, in the order Options declares them
_OPTION_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Options)}


@dataclass(frozen=True)
class RequestOptions(Options):
    """The options one request uses: a chat's :class:`Options` resolved against the notebook's
    settings and :data:`BUILTIN` (``planning.resolve``), so the model and the format are always
    set. A type of its own, so nothing downstream (the client, the cache key, the renderer) has
    to ask whether they are."""

    model: str = "yandexgpt"
    format: str = "markdown"

    @classmethod
    def of(cls, options: Options) -> RequestOptions:
        """``options`` once complete (OptionError if the model or the format is still unset)."""
        if options.model is None or options.format is None:
            raise OptionError("A request needs a model and a format; resolve the chat's options "
                              "against the settings first (planning.resolve).")
        return options if isinstance(options, RequestOptions) else cls(**options.to_dict())


#: What an option is when neither the chat nor the notebook's settings set it. Temperature and
#: max_tokens stay ``None`` there too: the request leaves them out and the model's own default
#: applies.
BUILTIN = RequestOptions()


@dataclass(frozen=True)
class Usage:
    """Token counts reported by the server for one reply (or summed over a chat)."""

    input_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(self.input_tokens + other.input_tokens,
                     self.completion_tokens + other.completion_tokens,
                     self.reasoning_tokens + other.reasoning_tokens,
                     self.total_tokens + other.total_tokens)


def short_model(model: str) -> str:
    """``gpt://<folder>/yandexgpt/latest`` → ``yandexgpt/latest``: the folder id is noise."""
    if model.startswith("gpt://"):
        return model[len("gpt://"):].partition("/")[2] or model
    return model


@dataclass(frozen=True)
class Reply:
    """One answer as the user sees it after the cell (``_ygpt``): text, status, usage, timing."""

    text: str
    status: str
    usage: Usage
    model: str
    model_version: str
    elapsed: float
    messages: tuple[dict[str, Any], ...] = ()
    #: the tools the model called on the way to this answer, in order (``--tools``)
    tool_calls: tuple[ToolCall, ...] = ()
    #: the answer validated against ``--schema`` (an instance of the user's type), else None
    parsed: Any = field(default=None, compare=False)
    options: Options | None = None  # what was asked (for provenance), None when unknown
    #: replayed from the reply cache (``recorded``: when it was recorded, ISO 8601 UTC); its
    #: tokens are not billed again, so chats count them apart (``Chat.replayed``)
    cached: bool = False
    recorded: str = ""

    def summary(self) -> str:
        """One quiet line: model · version · tokens · seconds (· status when not FINAL).

        Everything but the seconds is deterministic, and the seconds always read ``N.N s`` so a
        notebook sanitizer can normalise them.
        """
        usage = self.usage
        reasoning = f" (+{usage.reasoning_tokens} reasoning)" if usage.reasoning_tokens else ""
        parts = [short_model(self.model)]
        if self.model_version:
            parts.append(self.model_version)
        parts.append(f"{usage.input_tokens} → {counted(usage.completion_tokens, 'token')}{reasoning}")
        parts.append(f"cached · recorded {self.recorded[:10]}" if self.cached else f"{self.elapsed:.1f} s")
        if self.status != "FINAL":
            parts.append(_STATUS_WORDS.get(self.status, self.status.lower().replace("_", " ")))
        return " · ".join(parts)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Turn:
    """One prompt and its reply; ``cell_id`` ties it to the notebook cell that asked; ``images``
    are the placeholders of the pictures sent with the prompt (see chat/pictures.py)."""

    prompt: str
    reply: Reply
    cell_id: str | None = None
    images: tuple[PictureInfo, ...] = ()
    # Derived once per turn and shared by every later request, so that a long chat costs a
    # pointer per turn, not new dicts or a new token count, each time it is sent.
    _messages: tuple[dict[str, Any], ...] = field(
        init=False, repr=False, compare=False
    )
    _tokens: dict[str, int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: UTF-8 bytes of the prompt and the reply: the context-budget check adds these up instead
    #: of encoding the whole history again for every cell.
    utf8_size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        user = with_placeholders(self.prompt, self.images)
        messages = ({"role": "user", "text": user}, *tool_messages(self.reply.tool_calls),
                    {"role": "assistant", "text": self.reply.text})
        object.__setattr__(self, "_messages", messages)
        object.__setattr__(self, "utf8_size", len(user.encode()) + len(self.reply.text.encode())
                           + tool_size(self.reply.tool_calls))

    def messages(self) -> tuple[dict[str, Any], ...]:
        """The messages this turn adds to every later request: the user's, the tool calls and
        results if any, the assistant's answer."""
        return self._messages

    def tokens(self, model: str, count: Callable[[list[dict[str, str]]], int]) -> int:
        """This turn's size in ``model``'s tokens, counted once, ever (a long chat must not ask
        the tokenizer for every turn again at each cell)."""
        if model not in self._tokens:
            self._tokens[model] = count(list(self._messages))
        return self._tokens[model]


class Chat:
    """A named conversation: a system message, options, and the turns so far.

    ``turns`` is read freely but changed only through :meth:`replace_from` and :meth:`clear`,
    which keep an index from cell id to turns, so finding a re-run cell's turn costs the same
    in a chat of 1,000 turns as in a chat of one.
    """

    def __init__(
        self,
        name: str,
        *,
        system: str | None = None,
        options: Options | None = None,
        turns: list[Turn] | None = None,
    ) -> None:
        self.name = name
        self.system = system
        self.options = options or Options()
        self.turns: list[Turn] = list(turns or [])
        self._cells: dict[str, list[int]] = {}  # cell id → indexes of its turns, in order
        for index, turn in enumerate(self.turns):
            self._index(turn, index)
        # Set by ChatSession whenever the turns change, so a request prepared before a change
        # (by another cell or the panel) is refused instead of dropping or interleaving turns.
        self.revision = 0

    def _index(self, turn: Turn, index: int) -> None:
        if turn.cell_id is not None:
            self._cells.setdefault(turn.cell_id, []).append(index)

    def last_turn_of(self, cell_id: str) -> int | None:
        """The index of the latest turn asked by cell ``cell_id``, if it has one."""
        indexes = self._cells.get(cell_id)
        return indexes[-1] if indexes else None

    def replace_from(self, keep: int, turn: Turn) -> None:
        """Drop the turns from index ``keep`` on (a re-run cell's and later ones), add ``turn``."""
        for index in range(len(self.turns) - 1, keep - 1, -1):
            cell_id = self.turns[index].cell_id
            if cell_id is not None:
                indexes = self._cells[cell_id]
                indexes.pop()  # the latest index of that cell is this one
                if not indexes:
                    del self._cells[cell_id]
        del self.turns[keep:]
        self.turns.append(turn)
        self._index(turn, len(self.turns) - 1)

    def clear(self) -> None:
        """Forget every turn."""
        self.turns.clear()
        self._cells.clear()

    @property
    def usage(self) -> Usage:
        """Tokens used by the turns of this chat that were sent (replayed ones cost nothing)."""
        return sum((t.reply.usage for t in self.turns if not t.reply.cached), Usage())

    @property
    def replayed(self) -> Usage:
        """Tokens of the turns replayed from the reply cache (recorded earlier, not billed now)."""
        return sum((t.reply.usage for t in self.turns if t.reply.cached), Usage())

    def messages(
        self, prompt: str | None = None, turns: list[Turn] | None = None
    ) -> list[dict[str, str]]:
        """What a request sends: the system message (if set), the turns, then the prompt."""
        return build_messages(self.system, self.turns if turns is None else turns, prompt)

    def __repr__(self) -> str:
        return f"Chat({self.name!r}, turns={len(self.turns)}, options={self.options!r})"


def build_messages(
    system: str | None, turns: list[Turn], prompt: str | None, pictures: tuple[Picture, ...] = ()
) -> list[dict[str, Any]]:
    """System + history + prompt, reusing each turn's message dicts. The prompt's ``pictures``
    ride in its message as ``"images"``; the client sends such a request over the chat API."""
    messages: list[dict[str, Any]] = [{"role": "system", "text": system}] if system else []
    messages.extend(chain.from_iterable([turn._messages for turn in turns]))
    if prompt is not None:
        messages.append({"role": "user", "text": prompt, "images": pictures} if pictures
                        else {"role": "user", "text": prompt})
    return messages
