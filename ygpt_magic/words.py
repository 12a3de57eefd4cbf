"""Counts and short lines in the words users read: one rule for singular and plural, one for
shortening a value to a line, for every layer.

It sits below everything else (errors.py uses it too), so it imports nothing of the package.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 turn``, ``2 turns``, ``1,000 rows``: every count a user reads agrees with its number,
    and reads with thousands grouped, as every other count the extension shows."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def short(text: str, limit: int = 40) -> str:
    """``text`` as one line of at most ``limit`` characters (an ellipsis marks a cut); only
    its start is read, so a 50 MB text costs what a short one does."""
    head = text[: limit * 4]
    line = " ".join(head.split())
    return line if len(line) <= limit and len(head) == len(text) else line[: limit - 1] + "…"


def closest(word: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` a mistyped ``word`` most likely meant (``conect``: ``connect``), or
    None when none is close: the "did you mean" of flags, subcommands and priced model names."""
    close = difflib.get_close_matches(word, list(names), n=1)
    return close[0] if close else None


def some_of(first: Sequence[str], total: int) -> str:
    """``'a', 'b', 'c' and 7 more``: the ``first`` few of ``total`` things and how many are left
    out, so a line about 100,000 rows stays one line."""
    head = ", ".join(first)
    return f"{head} and {total - len(first):,} more" if total > len(first) else head
