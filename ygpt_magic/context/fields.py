"""A value made of named fields (a ``--map`` row's ``{row}``) as ``name: text`` lines within a
bound, shortening the long fields rather than dropping the ones after them.

Why: the bound of values.py cuts a text at ``max_chars``. A row whose first field is a pasted
essay would lose every field after it (the date, the stars), silently as far as the user can
tell, and the note could only say the joined text was cut. Here each field gets a fair share of
the room: fields shorter than an equal share are kept whole, and what they leave is shared
equally by the longer ones, each cut with a marker in its own line (its room taken from its own
share, so a field kept whole costs no marker); the note names the fields cut, in the words a
column's cut is said in (``body: 15,000 characters, cut to the first …``), the first few of them
only: a row is noted in ``_ygpt.cut``, thousands of times over.

A row too wide for a fair share (2,000 numeric features: their names alone fill the room) is cut
as a whole text instead, its first fields sent whole: shares of a few characters each would send
the names without their values.
"""

from __future__ import annotations

from collections.abc import Sequence

#: room taken from a cut field's share for its marker, " … (N characters left out)", whatever N
MARKER_ROOM = 40
#: the least of a field's value worth sending cut; under it the row is cut as a whole text
LEAST_SHARE = 20
#: the fields a note names before "and N more"
NAMED = 3


def lines(fields: Sequence[tuple[str, str]], max_chars: int) -> tuple[str, str | None]:
    """The fields as lines, whole when they fit in ``max_chars``, else with the long ones cut
    (or, when the row is too wide for that, its first fields); and what was cut (None: nothing)."""
    whole = "\n".join(f"{name}: {text}" for name, text in fields)
    if len(whole) <= max_chars:
        return whole, None
    labels = sum(len(name) + 2 for name, _ in fields) + len(fields) - 1
    lengths = [len(text) for _, text in fields]
    shares = fair_shares(lengths, max_chars - labels)
    cut = [position for position, (length, share) in enumerate(zip(lengths, shares)) if share < length]
    share = shares[cut[0]] - MARKER_ROOM
    if share < LEAST_SHARE:
        return first_fields(fields, whole, max_chars)
    shown = [_line(name, text, share if position in cut else len(text))
             for position, (name, text) in enumerate(fields)]
    notes = [f"{fields[p][0]}: {lengths[p]:,} characters" for p in cut]
    each = " each" if len(cut) > 1 else ""
    return "\n".join(shown), f"{_named(notes, '; ')}, cut to the first {share:,} characters{each}"


def first_fields(fields: Sequence[tuple[str, str]], whole: str, max_chars: int) -> tuple[str, str]:
    """The joined ``whole`` cut to its first ``max_chars`` characters, marker included, and the
    note: how many fields were sent whole, and which were cut or left out."""
    size = max(0, max_chars - MARKER_ROOM)
    end, sent = -1, 0
    for name, text in fields:
        end += len(name) + len(text) + 3
        if end > size:
            break
        sent += 1
    names = [name for name, _ in fields[sent:]]
    note = (f"{len(fields):,} fields, {len(whole):,} characters, too many to shorten each: the first "
            f"{sent:,} sent whole; {_named(names, ', ')} cut or left out")
    return f"{whole[:size]}\n… {len(whole) - size:,} characters left out", note


def _named(names: list[str], separator: str) -> str:
    """The first :data:`NAMED` of ``names`` and how many more fields there are: a note stays
    short however wide the row."""
    more = len(names) - NAMED
    rest = f" and {more:,} more field{'s' if more > 1 else ''}" if more > 0 else ""
    return separator.join(names[:NAMED]) + rest


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
