"""Counts in the words users read: one rule for singular and plural, for every layer.

It sits below everything else (errors.py uses it too), so it imports nothing.
"""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 turn``, ``2 turns``, ``0 turns``: every count a user reads agrees with its number."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
