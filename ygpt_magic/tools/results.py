"""What a tool returned → the text the model reads, and the short forms the cell shows.

The model reads text: a string as it is, a dict or list that JSON can write as JSON (valid JSON:
NaN and infinities, which JSON has not, go as null, and the call's line says how many; dates,
Decimals, Enums, pydantic models, pandas' NA and sets go as the JSON values they stand for, a set
in one order whatever the process, so the same value is the same text and reply-cache key), anything
else as ``{name}`` would send it (context/values.py: a DataFrame as a bounded table, ``_repr_llm_``,
then ``repr``). Every result has the bounds interpolated values have (``YGptMagics.max_value_chars``,
``max_rows``, ...), with a line saying how much was left out, so a 50 MB result costs the model a
few thousand characters, not the whole context; nothing is cut silently.
The cell shows each result in a few words (``1,204 rows``, ``3 items``, ``sunny``) on the call's
line (render/tools.py). A result whose text cannot be made (a repr that raises, an int past
Python's 4,300 digits, nesting past the recursion limit) goes back as an error, as a raising
tool's does.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
from decimal import Decimal
from typing import Any

from ..context.limits import Limits
from ..context.values import ADDRESS_WHY, holds_address, render
from ..context.values import bounded as values_bounded
from ..words import counted, short

ERROR_SHORT = 80  # characters of an error shown there (the type and the start of the message)


def shown(value: Any, limits: Limits, label: str) -> tuple[str, str]:
    """(the text the model gets, the call's summary) for a tool's return ``value``."""
    value = plain(value)
    text, nulled = content(value, limits, label)
    brief = summary(value)
    if nulled:
        brief += f" ({counted(nulled, 'NaN/inf value')} sent as null)"
    return text, brief


def content(value: Any, limits: Limits, label: str) -> tuple[str, int]:
    """The text the model gets for ``value`` (``label`` names it if its repr fails), and how
    many NaN or infinite floats in it went as null."""
    if isinstance(value, (dict, list, tuple, bool)) or value is None:
        try:
            finite, nulled = _finite(value)
            return bounded(json.dumps(finite, ensure_ascii=False, allow_nan=False),
                           limits.max_chars), nulled
        except (TypeError, ValueError, RecursionError):
            pass  # not JSON all the way down: rendered like any other value
    return render(value, limits, label).text, 0


def _finite(value: Any) -> tuple[Any, int]:
    """``value`` with each NaN and infinity replaced by None, and how many were: json.dumps
    would write them as ``NaN`` / ``Infinity``, which is not JSON, and the API or the model
    reading the result may reject it or misread it (pandas gives NaN for every empty mean)."""
    value = plain(value)
    if isinstance(value, float):
        return (value, 0) if math.isfinite(value) else (None, 1)
    if isinstance(value, dict):
        pairs = {key: _finite(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, sum(n for _, n in pairs.values())
    if isinstance(value, (list, tuple)):
        parts = [_finite(item) for item in value]
        return [item for item, _ in parts], sum(n for _, n in parts)
    return value, 0


def plain(value: Any) -> Any:
    """``value`` as the JSON-kind value it stands for, so it is summed up and sent as that value,
    never as its type's name or its repr: a numpy scalar (``np.int64`` from a pandas sum) as the
    Python value it holds (``1,204``, not ``np.int64(1204)``); a date, time or Timestamp as its
    ISO text; a Decimal as its text (``12.50``, every digit kept); an Enum member as its value;
    a pydantic model as its JSON dump; pandas' NA and NaT as None; a set as a sorted list (see
    :func:`_ordered`); anything else as it is."""
    if isinstance(value, (set, frozenset)):
        return _ordered(value)
    if type(value).__name__ in ("NAType", "NaTType") and type(value).__module__.startswith("pandas"):
        return None
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if hasattr(value, "model_dump") and not isinstance(value, type):
        return _dumped(value)
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def _ordered(items: set[Any] | frozenset[Any]) -> list[Any]:
    """A set's items in an order that does not depend on the process: sorted where they sort,
    else by their repr. A set's own order follows string hashing, which every new Python seeds
    anew, so the same set would be a different text (and reply-cache key) in each kernel."""
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def _dumped(model: Any) -> Any:
    """A pydantic model's JSON dump (dates as ISO text, enums as values); the model itself when
    its dump fails (the user's serializers may raise), to be rendered like any other value."""
    try:
        return model.model_dump(mode="json")
    except Exception:
        return model


def bounded(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars``, saying how many characters were left out."""
    return values_bounded(text, None, max_chars).text


def error_content(error: BaseException, max_chars: int) -> str:
    """What the model gets when a call failed: ``error: ValueError: …``; only the type when the
    error's own text cannot be read (its ``__str__`` is the user's code and may raise too)."""
    try:
        detail = str(error).strip()
    except Exception:
        detail = ""
    return bounded(f"error: {type(error).__name__}: {detail}" if detail
                   else f"error: {type(error).__name__}", max_chars)


def unreadable(name: str, why: str, max_chars: int) -> tuple[str, str]:
    """(what the model gets, a note for the user) when the result of tool ``name`` could not be
    turned into text (``why``: its repr raised or outran ``value_timeout``). The function ran and
    the request that asked for it was sent, so the model is told, as it is of a tool that raised,
    and the cell goes on; the note says what the function could return instead."""
    text = bounded(f"error: the call ran, but its result could not be turned into text: {why}", max_chars)
    return text, (f"⚠ The result of {name} could not be turned into text ({why}); the model was told "
                  f"so. Return a str, a dict or list of plain values, or a DataFrame from {name}, "
                  f"or fix the repr of what it returns.")


def address_note(name: str, text: str) -> str | None:
    """The note for the user when the result of tool ``name`` went as ``text`` holding a memory
    address (objects without a repr of their own: ORM rows, small classes), as ``{value}``
    gets it: the model reads nothing from it, and a recorded exchange never replays, since the
    next kernel's result differs (a CI run in replay mode fails on the cell every time). None
    when there is none."""
    if not holds_address(text):
        return None
    return (f"⚠ The result of {name}: {ADDRESS_WHY}. Return the objects' data from {name} (a dict or "
            f"list of plain values, a DataFrame) rather than the objects.")


def summary(value: Any) -> str:
    """A result in a few words, for the call's line."""
    if hasattr(value, "shape") and hasattr(value, "__len__") and getattr(value, "ndim", 0) >= 1:
        return counted(len(value), "row")
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, str):
        return short(value)
    if isinstance(value, dict):
        return counted(len(value), "key")
    if isinstance(value, (list, tuple, set, frozenset)):
        return counted(len(value), "item")
    return short(type(value).__name__)
