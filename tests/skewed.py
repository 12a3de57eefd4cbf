"""Texts a cost estimate's sample reads as cheaper than they are, for the tests of what stops a
run its estimate let through (the running budget). The estimate counts a sample chosen by length
(ygpt_magic/rows/scaled.py) and scales the others by theirs, so every text here has one length:
the counted ones are words (a token for 8 characters), the others marks (a token for 2)."""

from __future__ import annotations

from ygpt_magic.rows.scaled import sampled


def skewed(prefix: str, count: int, length: int = 120) -> list[str]:
    """``count`` texts of ``length`` characters, each starting ``prefix`` and its number; those
    the estimate counts hold a quarter of the tokens of the others."""
    counted = set(sampled([length] * count))
    return [(f"{prefix} {n:02d} " + ("abcdefg " if n in counted else "! ") * length)[:length]
            for n in range(count)]
