"""Counts and short lines in the words users read: one rule for singular and plural, one for
shortening a value to a line, for every layer.

It sits below everything else (errors.py uses it too), so it imports nothing.
"""

from __future__ import annotations


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
