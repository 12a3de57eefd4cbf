"""Errors of one row of a run over rows (``--map``, ``--labels``, ``--batch``) that its own data
caused: the row fails, named, and the other rows go on.

Each is a :class:`RowFailed`: its ``row`` is the row's label and :meth:`RowFailed.reason` what
befell the row without naming it, so the message (``Row 'c': {text} holds no value …``) is made
of the two and never has to be taken apart again: a headless run's summary lists the rows one
reason failed on one line by that reason (rows/unattended.py). Advice to try again is worded for
where the run is (errors/origin.py): a cell is run again, a notebook run headless is run again
as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .base import Worded, YGptError
from .origin import CELL, Origin, capital
from .too_long import ContextTooLong


class RowFailed(YGptError):
    """A row that failed for its own data (see the module docstring). ``reason``: what befell
    it, worded for an origin, naming no row (the same for every row that failed so)."""

    def __init__(self, row: object, reason: Worded) -> None:
        self.row, self._reason = row, reason
        super().__init__(lambda origin: self.said_of(f"Row {row!r}", origin))

    def said_of(self, subject: str, origin: Origin) -> str:
        """The message with the row called ``subject`` (``Row 'c'``)."""
        return f"{subject}: {self._reason(origin)}"

    def reason(self, origin: Origin = CELL) -> str:
        """What befell the row, naming none: the message's text after ``Row 'c': ``."""
        return capital(self._reason(origin))


class MissingValue(RowFailed):
    """A ``--map`` row whose template reads a cell that holds no value (None, NaN, pd.NA, NaT):
    the prompt would carry the word "nan" or "None" as if it were the text, and be paid for, so
    that row fails before it is sent and the others run. ``found``: each reference → its kind;
    ``fix``: how to drop or fill such rows in the user's own value; ``because``: what the empty
    value would have done, when not that (an ``{expression}`` over it raised, a ``{row}`` with
    no field left would send the bare template)."""

    def __init__(self, row: object, found: dict[str, str], fix: str,
                 because: str = "which the prompt would carry as text") -> None:
        references = " and ".join(f"{{{reference}}}" for reference in found)
        kinds = ", ".join(found.values())
        super().__init__(row, lambda origin: (
            f"{references} {'holds' if len(found) == 1 else 'hold'} no value ({kinds}), {because}, "
            f"so this row was not sent. {fix}, then {origin.again}."
        ))
        self.found = found


class EmptyPrompt(RowFailed):
    """A ``--map`` row whose filled-in prompt is empty or only spaces (an empty string in the
    column): there is nothing to ask, so the row fails before it is sent, and the summary
    counts it as its data's fault ("empty prompt"), as it counts a NaN ("missing value"),
    not as an option the user set wrong. Its message has the row as its subject."""

    def __init__(self, row: object) -> None:
        super().__init__(row, lambda origin: "gives an empty prompt; give the cell text around its "
                                             "{names}, or leave that row out.")

    def said_of(self, subject: str, origin: Origin) -> str:
        return f"{subject} {self._reason(origin)}"

    def reason(self, origin: Origin = CELL) -> str:
        return self.said_of("The row", origin)


@dataclass(frozen=True)
class ExpressionRaised:
    """An ``{expression}`` of a cell that raised (context/expressions.py): ``expression`` as
    written with its braces, ``error`` as "TypeError: …", ``reads`` the names its code reads."""

    expression: str
    error: str
    reads: frozenset[str]


class RowExpressionFailed(RowFailed):
    """A ``--map`` row whose ``{expression}`` raised over that row's own values (``{text[10]}``
    on a short text): only that row fails, named, with what was raised, and the others run, as
    for a row with a missing value. ``cell``: the error the cell is refused with when the
    expression raised on every row alike, a mistake in the expression rather than in the data."""

    def __init__(self, row: object, raised: ExpressionRaised, cell: YGptError) -> None:
        super().__init__(row, lambda origin: (
            f"evaluating {raised.expression} over this row's values raised {raised.error}, so this "
            f"row was not sent. Fix that row's data, or make the expression handle such values (it "
            f"runs once for each row, like a code cell), then {origin.again}; the other rows are not "
            f"affected."))
        self.cell = cell


class ColumnNotFound(KeyError):
    """``{row['name']}`` over a frame with no column ``name``: a KeyError, as pandas raises, whose
    text (shown in the cell's error) names the columns there are and the one most likely meant."""

    def __init__(self, name: object, columns: list[str], meant: str | None) -> None:
        super().__init__(name)
        self.text = _no_column(name, columns, meant)

    def __str__(self) -> str:
        return self.text


class NoSuchField(AttributeError):
    """``{row.name}`` over a frame with no column ``name``: an AttributeError, as Python raises
    (``hasattr`` and ``getattr`` with a default stay true), whose text the cell's error quotes:
    the columns there are and the one most likely meant."""

    def __init__(self, name: str, columns: list[str], meant: str | None) -> None:
        super().__init__(_no_column(name, columns, meant), name=name)


def _no_column(name: object, columns: list[str], meant: str | None) -> str:
    guess = f" (did you mean {meant!r}?)" if meant else ""
    return f"the row has no column {name!r}{guess}; its columns are {', '.join(map(repr, columns)) or 'none'}"


class RowSize(NamedTuple):
    """How big a too-long ``--map`` row's texts are: ``value``, the characters of the longest
    value it reads (a text); ``text``, the characters of its filled-in text and ``--system`` together."""

    value: int
    text: int


class RowTooLong(RowFailed):
    """A ``--map`` row whose prompt alone is over the context budget: only that row fails, so
    the message names it and gives advice about its data (the cell's own advice, to split the
    text into several cells, means nothing for one row among thousands), and the planning's
    way to make room (``too_long``: a bigger budget, or a model with a longer context).
    ``reads``: the row's names the template reads, longest value first (through an
    ``{expression}`` too), the values to shorten; ``size``: the row's sizes when the longest is a
    text, from which the example cut of it is worked out (:func:`fitting_cut`)."""

    def __init__(self, row: object, too_long: ContextTooLong, reads: list[str], name: str,
                 size: RowSize | None = None) -> None:
        needed, budget = too_long.needed, too_long.budget
        size_words = (f"needs {needed:,} tokens, over the context budget of {budget:,}"
                      f"{too_long.room.said(budget) if too_long.room else ''}" if needed is not None
                      and budget is not None else "is too long for the model's context")
        way = too_long.more_room(CELL)
        said = (f"the prompt {size_words}, so this row was not sent. {_shorten(reads, too_long, size)}"
                f"{',' if way else ' or'} leave such rows out of {name}{f', or {way}' if way else ''}; "
                f"the other rows are not affected.{'' if way else too_long.none_holds()}")
        super().__init__(row, lambda origin: said)
        self.needed, self.budget = needed, budget


def _shorten(reads: list[str], too_long: ContextTooLong, size: RowSize | None) -> str:
    """What to shorten in a too-long row: the values it reads, with a cut of the longest one that
    would fit (a fixed number did not: ``[:2000]`` of a shorter value cuts nothing), or, when
    even that value left out would not do, the cell's own text too."""
    values = " and ".join(f"{{{r}}}" for r in reads) or "its values"
    if not reads or size is None or too_long.needed is None or too_long.budget is None:
        return f"Shorten what it reads from {values}"
    keep = fitting_cut(size, too_long.needed, too_long.budget)
    if keep is None:
        return (f"Shorten the cell's own text (and --system) as well as what it reads from {values} "
                f"(cutting {{{reads[0]}}} alone would not make it fit)")
    return f"Shorten what it reads from {values} (e.g. {{{reads[0]}[:{keep}]}} in the cell)"


def fitting_cut(size: RowSize, needed: int, budget: int) -> int | None:
    """The characters of the longest value to keep so the row fits ``budget`` tokens, rounded
    down to two figures; None when that leaves almost nothing (the rest is too long alone).

    The tokenizer counted the whole row, not the value, so a token is taken to be the row's
    average characters per token, and the cut aims at nine tenths of the budget to allow for it."""
    per_token = size.text / needed
    keep = min(size.value, size.text) - (needed - 0.9 * budget) * per_token
    if keep < 20:
        return None
    figures: int = 10 ** max(0, len(str(int(keep))) - 2)
    return int(keep) // figures * figures
