"""What a tool returned → the text the model reads, and the short forms the cell shows.

The model reads text: a string as it is, a JSON-serialisable value as JSON, anything else as its
``repr`` (a DataFrame's is its table). Every result is bounded (``YGptMagics.max_value_chars``, the
bound interpolated values have), with a line saying how much was left out, so a 50 MB result
costs the model a few thousand characters, not the whole context; nothing is cut silently.
The cell shows each result in a few words (``1,204 rows``, ``3 items``, ``sunny``) on the call's
line (render/tools.py).
"""

from __future__ import annotations

import json
from typing import Any

from ..words import counted, short

#: default bound on a tool result sent to the model (characters)
MAX_RESULT_CHARS = 8000
ERROR_SHORT = 80  # characters of an error shown there (the type and the start of the message)


def content(value: Any, max_chars: int = MAX_RESULT_CHARS) -> str:
    """The text the model gets for ``value``, at most ``max_chars`` plus one closing line."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    return bounded(text, max_chars)


def bounded(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars``, saying how many characters were left out."""
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n… ({len(text) - max_chars:,} more characters left out)"


def error_content(error: BaseException, max_chars: int = MAX_RESULT_CHARS) -> str:
    """What the model gets when a call failed: ``error: ValueError: …``."""
    detail = str(error).strip()
    return bounded(f"error: {type(error).__name__}: {detail}" if detail
                   else f"error: {type(error).__name__}", max_chars)


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
