"""A value made of named fields (a ``--map`` row's ``{row}``) as ``name: text`` lines within a
bound, shortening the long fields rather than dropping the ones after them.

Why: the bound of values.py cuts a text at ``max_chars``. A row whose first field is a pasted
essay would lose every field after it (the date, the stars), silently as far as the user can
tell, and the note could only say the joined text was cut. Here each field gets a fair share of
the room: fields shorter than an equal share are kept whole, and what they leave is shared
equally by the longer ones, each cut with a marker in its own line; the note names each field
cut, in the words a column's cut is said in (``body: 15,000 characters, cut to the first …``).
"""

from __future__ import annotations

from collections.abc import Sequence

#: room kept for each field's marker, "… (N characters left out)", whatever N
MARKER_ROOM = 40


def lines(fields: Sequence[tuple[str, str]], max_chars: int) -> tuple[str, str | None]:
    """The fields as lines, whole when they fit in ``max_chars``, else with the long ones cut;
    and what was cut (None: nothing)."""
    whole = "\n".join(f"{name}: {text}" for name, text in fields)
    if len(whole) <= max_chars:
        return whole, None
    labels = sum(len(name) + 2 for name, _ in fields) + len(fields) - 1
    room = max(0, max_chars - labels - MARKER_ROOM * len(fields))
    shares = fair_shares([len(text) for _, text in fields], room)
    shown = [_line(name, text, share) for (name, text), share in zip(fields, shares)]
    notes = [f"{name}: {len(text):,} characters, cut to the first {share:,} characters"
             for (name, text), share in zip(fields, shares) if share < len(text)]
    return "\n".join(shown), "; ".join(notes)


def fair_shares(lengths: list[int], room: int) -> list[int]:
    """How much of each length fits in ``room``: the shorter ones whole while each fits an equal
    share of what is left, the rest that share each."""
    shares = list(lengths)
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    left = room
    for done, position in enumerate(order):
        share = left // (len(order) - done)
        if lengths[position] > share:
            for longer in order[done:]:
                shares[longer] = share
            break
        left -= lengths[position]
    return shares


def _line(name: str, text: str, share: int) -> str:
    if share >= len(text):
        return f"{name}: {text}"
    return f"{name}: {text[:share]} … ({len(text) - share:,} characters left out)"
