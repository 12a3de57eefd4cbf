"""Where a long run of turns is cut into blocks, so that what goes to the page is bounded per turn.

A panel's folded turns (panel/transcript.py) and its saved view (panel/saved.py) each show all
of a chat's turns, and each is sent to the page again when it changes. Sent as one block, a chat
of 800 turns sent its whole saved view (some 570 KB) after every turn. Cut at the
last multiple of each of :data:`STEPS`, a block changes only when the count crosses a multiple
of its step: the block of turns before the last thousand is sent once in 1,000 turns, the one
up to the last hundred once in 100, and so on, so each turn sends about as much over any chat of
under 10,000 turns.
"""

from __future__ import annotations

#: the steps a run of turns is cut at, coarsest first
STEPS = (1000, 100, 10)


def spans(count: int) -> list[tuple[int, int]]:
    """The blocks of the first ``count`` turns, as (start, end): turns before the last multiple
    of each step in :data:`STEPS`, then the rest (fewer than the last step). Some are empty;
    there are always ``len(STEPS) + 1``, and together they hold each turn once, in order."""
    cuts = [count // step * step for step in STEPS]
    return list(zip([0, *cuts], [*cuts, count], strict=True))
