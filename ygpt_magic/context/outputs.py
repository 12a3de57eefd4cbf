"""`{Out[N]}` is what cell N showed, not what its object holds now.

IPython's ``Out[N]`` keeps a reference to the object, so one a later cell changed in place (a
frame shown with a NaN, then ``fillna`` and a new column; a list shown, then appended to) went as
it is now, under a note describing it as it is now: a question about the NaN cell N shows was
asked of a table without it. A user who writes `{Out[2]}` means what they see under cell 2.

IPython keeps that already: its history holds the text/plain form each ``Out[N]`` was displayed
with (``HistoryManager.output_hist_reprs``), so nothing more is kept per cell, and no cell pays
for a reference it may never get. When a cell refers to ``Out[N]``, the object's text/plain form
now (one repr, bounded by ``value_timeout`` as a value's rendering is) is compared with it:

- the same: the object shows what cell N showed, and is rendered for a model like any value
  (a frame as a bounded table with its dtypes);
- different: the text cell N showed is sent, bounded, and the note says its text differs and how
  to send it as it is now (its variable's name). That text is IPython's form (pandas' own
  table), not the table `{df}` sends. The note cannot say the object changed: a pandas repr
  also follows ``display.precision``, ``max_rows`` and, in a terminal, its width, and the
  options in force when cell N showed it are not kept (that would cost every cell).

A picture is sent as it is now (a figure has no text to tell its state by), and so is an output
whose text IPython did not keep; a repr that raises or hangs now is left to the value's own
rendering, which says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .images import is_picture
from .limits import Limits
from .values import Rendered, TimedOut, bounded, time_limit

if TYPE_CHECKING:
    from .cells import NotebookCells


def as_shown(cells: NotebookCells, count: int, value: object, limits: Limits) -> Rendered | None:
    """The text cell ``count`` showed, bounded and noted, when ``value`` (its ``Out``) no longer
    shows it; None when it still does, or when that cannot be told (module docstring)."""
    shown = cells.shown(count)
    if shown is None or is_picture(value):
        return None
    try:
        with time_limit(limits.timeout):
            now = cells.shows(value)
    except (Exception, TimedOut):
        return None
    if now == shown:
        return None
    kind = type(value).__name__
    return bounded(shown, f"the {kind}'s text now differs from what cell {count} showed (the {kind} was "
                          f"changed since, or a display option was, such as pandas' precision or the "
                          f"terminal's width), so it is sent as cell {count} showed it (IPython's text of "
                          f"it); refer to its variable to send it as it is now", limits.max_chars)
