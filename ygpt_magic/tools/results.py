"""What a tool returned → the text the model reads, and the short forms the cell shows.

The model reads text: a string as it is, a dict or list that JSON can write as JSON (valid JSON:
NaN and infinities, which JSON has not, go as null, and the call's line says how many; dates,
Decimals, Enums, pydantic models, pandas' NA and sets go as the JSON values they stand for, a set
in one order whatever the process, so the same value is the same text and reply-cache key), anything
else as ``{name}`` would send it (context/values.py: a DataFrame as a bounded table, ``_repr_llm_``,
then ``repr``). Every result has the bounds interpolated values have (``YGptMagics.max_value_chars``,
``max_rows``, ...), with a line saying how much was left out, so a 50 MB result costs the model a
few thousand characters, not the whole context; nothing is cut silently. JSON is written only as
far as the cut, so a million rows cost what 8,000 characters do (:func:`_bounded_json`).
The cell shows each result in a few words (``1,204 rows``, ``3 items``, ``sunny``) on the call's
line (render/tools.py). A result whose text cannot be made (a repr that raises, an int past
Python's 4,300 digits, nesting past the recursion limit) goes back as an error, as a raising
tool's does.
"""

from __future__ import annotations

import datetime
import enum
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import keyshapes
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
            return _bounded_json(value, limits.max_chars)
        except (TypeError, ValueError, RecursionError):
            pass  # not JSON all the way down: rendered like any other value
    return render(value, limits, label).text, 0


def _bounded_json(value: Any, max_chars: int) -> tuple[str, int]:
    """``value``'s JSON within ``max_chars``, and how many NaN or infinite floats went as null.

    The text is made piece by piece and no further than the cut (a million rows of
    ``df.to_dict("records")`` took 10 to 20 s to be made whole, then cut to 8 KB), so the cost
    follows what is sent, not what was returned. A cut text cannot say how many characters it
    left out without making them all: it says how many of the items (or keys) went whole, in
    each container the cut is in (:func:`_left_out`)."""
    if not isinstance(value, (dict, list, tuple)):
        return _leaf(value), 0
    path: list[_Open] = []
    pieces, size, nulled = [], 0, 0
    for text, nulls in _written(value, set(), path):
        pieces.append(text)
        size, nulled = size + len(text), nulled + nulls
        if size > max_chars:
            return keyshapes.cut("".join(pieces), max_chars) + _left_out(path), nulled
    return "".join(pieces), nulled


#: a piece of a JSON text, and how many NaN or infinite floats it wrote as null
_Piece = tuple[str, int]


@dataclass
class _Open:
    """A dict or list :func:`_written` is writing: its key in the one holding it (as JSON writes
    it: ``"rows"``, ``9``; "" at the top), its size, and how many of its entries went whole."""

    key: str
    size: int
    keyed: bool
    whole: int = 0


def _written(value: Any, markers: set[int], path: list[_Open], key: str = "") -> Iterator[_Piece]:
    """``value``'s JSON in pieces, as ``json.dumps(value, ensure_ascii=False)`` writes it (json
    itself writes each leaf and key), each value first made :func:`plain`, each NaN and infinity
    written null: ``NaN`` / ``Infinity`` are not JSON, and the API or the model reading the
    result may reject or misread them (pandas gives NaN for every empty mean). ``markers``: the
    containers being written, as json keeps them, so a value holding itself raises ValueError;
    ``path``: the same, outermost first, with what of each is written, for the cut's line."""
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        yield "null", 1
    elif isinstance(value, (dict, list, tuple)):
        if id(value) in markers:
            raise ValueError("Circular reference detected")
        markers.add(id(value))
        here = _Open(key, len(value), isinstance(value, dict))
        path.append(here)
        opening, closing = _brackets(value)
        yield opening, 0
        for entry in _entries(value, markers, path):
            yield from entry
            here.whole += 1
        yield closing, 0
        path.pop()
        markers.discard(id(value))
    else:
        yield _leaf(value), 0


def _entries(value: dict[Any, Any] | list[Any] | tuple[Any, ...], markers: set[int],
             path: list[_Open]) -> Iterator[Iterator[_Piece]]:
    """Each item of a dict or list as its pieces: the separator, the key of a dict, the item."""
    keyed = isinstance(value, dict)
    for index, (key, item) in enumerate(value.items() if isinstance(value, dict) else enumerate(value)):
        name = _leaf({key: 0})[1:-len(": 0}")] if keyed else str(index)
        head = (", " if index else "") + (name + ": " if keyed else "")
        yield itertools.chain(((head, 0),), _written(item, markers, path, name))


def _leaf(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _brackets(value: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> tuple[str, str]:
    return ("{", "}") if isinstance(value, dict) else ("[", "]")


def _left_out(path: list[_Open]) -> str:
    """The line after a cut JSON text: how many entries went whole in each container the cut is
    in, outermost first, each inner one by where it is (``in ["rows"] 9 of 100,000 items``): the
    top's count alone told a model that "1 of 2 keys" of ``{"count": …, "rows": […]}`` went,
    not that 9 of its 100,000 rows did. An inner one none of whose entries went whole (the row
    the cut is in, just begun) is left unsaid: the text above shows it begun."""
    while len(path) > 1 and not path[-1].whole:
        path = path[:-1]
    counts = [f"{level.whole:,} of {counted(level.size, 'key' if level.keyed else 'item')}" for level in path]
    where = list(itertools.accumulate(f"[{level.key}]" for level in path[1:]))
    inner = "".join(f", in {place} {count}" for place, count in zip(where, counts[1:], strict=True))
    return f"\n… cut here: {counts[0]} sent whole{inner}, the rest left out"


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
