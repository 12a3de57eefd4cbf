"""The texts ``%ygpt embed NAME`` and ``%ygpt similar --in NAME`` go over, checked up front.

A list (or tuple) of strings, a pandas Series of strings, or one column of a DataFrame
(``--column C``). Everything is checked before a request: a value that is not text (a number,
None, NaN) or a text that is empty or only spaces (the service refuses it, and sending it again
would not help) is named by its rows, so the user fixes the data rather than reading a failed run.
The labels are what ``_ygpt.errors`` is keyed by: index labels, or positions when they repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import OptionError
from ..imported import imported
from ..words import matching, some_of
from .columns import unspaced
from .items import check_columns, row_labels

#: rows named at most in a "not text" message
NAMED = 5


@dataclass(frozen=True)
class Texts:
    """The texts of one notebook value, in its order, with the labels of their rows."""

    name: str
    texts: list[str]
    labels: Sequence[Any]   # what names each row in _ygpt.errors (items.row_labels)
    source: Any        # the value itself: similar returns its rows
    #: the index's own labels when it repeats some, so that ``labels`` are positions
    repeated: Sequence[Any] | None = None

    def loc(self, positions: Any) -> tuple[list[Any], bool]:
        """The labels of the rows at ``positions`` as ``NAME.loc`` takes them (a list's rows:
        their positions), and whether NAME's index repeats a label, so that one may name
        several rows."""
        every = self.labels if self.repeated is None else self.repeated
        return [every[int(position)] for position in positions], self.repeated is not None


def texts_of(value: Any, name: str, column: str | None, command: str) -> Texts:
    """The texts of ``value`` (the notebook variable ``name``); OptionError, saying what to do,
    for a value that is not a list of texts or a column of them."""
    pandas = imported("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        items, labels = _column(value, name, column, command), row_labels(value.index)
    elif column is not None:
        raise OptionError(f"%ygpt {command}: --column {column} picks a column of a DataFrame, but "
                          f"{name} is a {type(value).__name__}. Drop --column, or pass a DataFrame.")
    elif pandas is not None and isinstance(value, pandas.Series):
        items, labels = value.tolist(), row_labels(value.index)
    elif isinstance(value, (list, tuple)):
        items, labels = list(value), range(len(value))
    else:
        raise OptionError(
            f"%ygpt {command}: {name} is a {type(value).__name__}, not a list of strings, a pandas "
            f"Series of strings or a DataFrame (with --column C). Put the texts in a list and run "
            f"it again.")
    if not items:
        raise OptionError(f"%ygpt {command}: {name} has no rows, so there is nothing to embed. "
                          f"Fill it with texts first.")
    _check_text(items, labels, name, command)
    plain = isinstance(value, (list, tuple)) or value.index.is_unique   # else labels are positions
    return Texts(name, items, labels, value, None if plain else value.index.tolist())


def _column(frame: Any, name: str, column: str | None, command: str) -> list[Any]:
    columns = ", ".join(repr(str(c)) for c in frame.columns) or "none"
    if column is None:
        raise OptionError(f"%ygpt {command}: {name} is a DataFrame; say which column holds the "
                          f"texts with --column C. Its columns are {columns}.")
    found = matching(column, frame.columns)   # in either Unicode form, as typed
    if found is None:   # ' price' of a CSV header 'name, price', as {price} reads it in --map
        found = unspaced(c for c in frame.columns if isinstance(c, str)).get(column.strip())
    if found is None:
        raise OptionError(f"%ygpt {command}: the DataFrame {name} has no column {column!r}. Its "
                          f"columns are {columns}.")
    check_columns([c for c in frame.columns if c == found], name, f"%ygpt {command}",
                  f"--column {column}")
    texts: list[Any] = frame[found].tolist()
    return texts


def _check_text(items: list[Any], labels: Sequence[Any], name: str, command: str) -> None:
    bad = [position for position, item in enumerate(items) if not (isinstance(item, str) and item.strip())]
    if not bad:
        return
    shown = some_of([f"{labels[p]!r} ({_kind(items[p])})" for p in bad[:NAMED]], len(bad))
    raise OptionError(
        f"%ygpt {command}: {len(bad):,} of the {len(items):,} rows of {name} are not text to embed: "
        f"rows {shown}. Embeddings are made of strings with some text in them: drop those "
        f"rows (.dropna() drops None and NaN; keep only texts with t.strip() for the empty ones), "
        f"or turn them into text (.astype(str)) if the number is the text, then run it again.")


def _kind(item: Any) -> str:
    if isinstance(item, str):
        return "blank" if item else "empty"
    if item is None:
        return "None"
    if isinstance(item, float) and item != item:
        return "NaN"
    return f"{type(item).__name__} {item!r}"[:40]
