"""A chat's options and a request's: what is asked of the model, validated when made.

A chat's :class:`Options` hold only what the user set; ``planning.resolve`` makes the
:class:`RequestOptions` one request uses, where the model and the format are always set.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import OptionError
from ..keyshapes import looks_like
from .catalog import LARGEST_CONTEXT

FORMATS = ("markdown", "text", "code", "json")

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


def refuse_credential(model: str) -> None:
    """OptionError when the model name ``model`` holds what looks like a credential: a key
    pasted where a model URI's folder goes would go out in every request's model URI, and back
    in footers and tables. The one rule for every door a name comes through (Options, an
    embedding model, and client/models.named, which every SDK model is made by), so none sends it."""
    if kind := looks_like(model):
        raise OptionError(
            f"model holds what looks like {kind}, so it is not used, shown or sent; a model URI "
            f"carries the folder id after its scheme (gpt://<folder_id>/yandexgpt/latest, "
            f"emb://<folder_id>/text-search-doc/latest; the id is 20 letters and digits, b1g…): "
            f"use it there, or a short name such as yandexgpt or doc."
        )


class _Unset:
    """The type of :data:`UNSET`; one instance, so ``is UNSET`` is the test."""

    def __repr__(self) -> str:
        return "UNSET"

    def __str__(self) -> str:
        """How a line writes it: ``%ygpt config --format default`` (commands/flag_values.option_value)."""
        return "default"


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
            refuse_credential(self.model)
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
