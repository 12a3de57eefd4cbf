"""A Python value rendered as text for a model: readable, bounded, and honest about what was cut.

`{df}` in a cell must never send a 4 GB table, nor a truncation the user cannot see. So a value
becomes text by the first rule that fits, and every rule has a bound:

- ``str`` and numbers (numpy's scalars included): ``str()``, as an f-string would show them;
- pandas DataFrame / Series: a Markdown table of the first and last rows (``max_rows``) and the
  first ``max_columns`` columns, with the shape, the dtypes and a line saying what was left out;
- numpy array: shape, dtype and numpy's own summary of its edges;
- an object of fields (``_ygpt_fields_()``: (name, text) pairs, a ``--map`` row's ``{row}``):
  ``name: text`` lines, the longest texts shortened to a fair share of ``max_chars`` each, so
  one long field never pushes the others out, and the summary names each field cut;
- an object with ``_repr_llm_()`` (chatlab's convention), else ``_repr_markdown_()``, else
  ``repr()``;
- whatever the rule gave: at most ``max_chars`` characters, then "… N characters left out".

A text that holds an object's default repr (``<Foo object at 0x7f…>``, what ``repr()`` shows of
most objects; an address merely written in data, a log line, is data) is sent as it is, with a
note: the address is new in every kernel, and so is the cell's reply-cache key, so a recorded
reply is never replayed in the next one (a CI run in replay mode fails on that cell). The note
says so and what to do, which the cache's miss cannot: refer to the object's data rather than to
the object.

pandas and numpy are never imported here: a value is one of theirs only if the user's code has
imported them already (imported.py), so everything works without them installed.

A repr written by the user may raise or hang. Raising is reported naming the reference. Hanging
is bounded by ``timeout`` seconds with SIGALRM on the main thread (where IPython and ipykernel run
cells): the alarm raises inside the repr's Python code and stops it, which a watchdog thread
could not. Where there is no SIGALRM (Windows), off the main thread, or when the process already
has an interval timer armed, there is no time limit: Ctrl-C (a kernel interrupt) still stops a
repr. A repr stuck inside C code that never returns to Python is beyond both; only a kernel
restart ends it.
"""

from __future__ import annotations

import inspect
import numbers
import re
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, NoReturn

from .. import keyshapes
from ..errors import InterpolationError, capital
from ..imported import imported
from ..words import counted
from . import fields
from .limits import Limits

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: a table cell longer than this is shortened with "…" (the left-out line says so)
CELL_CHARS = 200
#: a memory address in a repr: ``<Line2D object at 0x7fd344d798d0>``, ``<function f at 0x…>``
_ADDRESS = re.compile(r"<[\w.]+(?: [\w.]+)* at 0x[0-9a-fA-F]{6,}>")
#: why an address is worth a note, for a value (``_ADDRESS_NOTE``) and a tool's result (tools/results.py)
ADDRESS_WHY = ("its text holds a memory address, which tells the model nothing and is new in every "
               "kernel, so the reply cache cannot replay this cell in another kernel")
_ADDRESS_NOTE = f"{ADDRESS_WHY}; refer to the object's data (an attribute, a method's result) rather than to the object"


@dataclass(frozen=True)
class Rendered:
    """A value's text for the prompt, and a short account of it for the cell's notes (None when
    the value went as plain text, whole); ``cut``: part of the value was left out (the summary
    says what), which a ``--map`` run tells apart from the other notes."""

    text: str
    summary: str | None = None
    cut: bool = False


class TimedOut(BaseException):
    """Raised by the alarm inside a repr; a BaseException so `except Exception` cannot keep a
    hanging repr alive."""


#: the built-in types whose text is ``str(value)`` (subclasses may override it: not these)
_PLAIN = frozenset({str, int, float, bool})
#: an int longer than this is written out under the timer: its text takes time quadratic in its
#: digits, and past ``sys.get_int_max_str_digits()`` (4,300) ``str`` raises
_PLAIN_INT_BITS = 1024


def render(value: object, limits: Limits, label: str) -> Rendered:
    """``value`` as bounded text; ``label`` (``{df}``) names it in errors. InterpolationError
    when its repr raises or takes longer than ``limits.timeout``; nothing is sent then."""
    if type(value) in _PLAIN and (type(value) is not int or value.bit_length() <= _PLAIN_INT_BITS):
        return bounded(str(value), None, limits.max_chars)  # cannot hang or raise: no timer
    try:
        with time_limit(limits.timeout):
            rendered = _text(value, limits)
    except TimedOut:
        slow = f"turning the {type(value).__name__} into text took longer than {limits.timeout:g} s"
        raise InterpolationError(lambda origin: (
            f"{capital(origin.text)} uses {label}, but {slow}, so it was stopped and nothing was "
            f"sent. Put a shorter text in a variable, or raise %config YGptMagics.value_timeout."
        ), unreadable=slow) from None
    except Exception as error:
        raised = f"turning the {type(value).__name__} into text raised {type(error).__name__}: {first_line(error)}"
        raise InterpolationError(lambda origin: (
            f"{capital(origin.text)} uses {label}, but {raised}. Nothing was sent. Fix its repr "
            f"or put the text you want in a variable."
        ), unreadable=raised) from None
    return _addressed(bounded(rendered.text, rendered.summary, limits.max_chars, cut=rendered.cut))


def _addressed(rendered: Rendered) -> Rendered:
    """The rendered value, its summary saying so when its text holds a memory address (see the
    module docstring)."""
    if not holds_address(rendered.text):
        return rendered
    summary = f"{rendered.summary}; {_ADDRESS_NOTE}" if rendered.summary else _ADDRESS_NOTE
    return Rendered(rendered.text, summary, rendered.cut)


def holds_address(text: str) -> bool:
    """Whether ``text`` holds an object's default repr, with its memory address."""
    return _ADDRESS.search(text) is not None


def bounded(text: str, summary: str | None, max_chars: int, *, cut: bool = False) -> Rendered:
    """At most ``max_chars`` characters of ``text``, with the cut marked in it and in the summary;
    ``cut``: the text already leaves part of its value out (a table's rows)."""
    if len(text) <= max_chars:
        return Rendered(text, summary, cut)
    left_out = len(text) - max_chars
    marker = f"\n… {left_out:,} characters left out"
    what = summary or f"{len(text):,} characters"
    return Rendered(keyshapes.cut(text, max_chars) + marker, f"{what}, cut to the first {max_chars:,} characters",
                    True)


#: the share of ``max_chars`` :func:`bounded_ends` keeps from a text's start; the rest is its end
_HEAD_SHARE = 4


def bounded_ends(text: str, summary: str | None, max_chars: int) -> Rendered:
    """At most ``max_chars`` characters of an error's ``text``: its start (where it was raised
    from) and, three times as long, its end (the exception and the innermost frames), cut at
    line breaks where there are some, the middle left out and said. Keeping the start only sent
    thousands of repeated frames of a RecursionError and never the line naming it."""
    if len(text) <= max_chars:
        return Rendered(text, summary)
    head, tail = ends(text, max_chars)
    marker = f"\n… {len(text) - len(head) - len(tail):,} characters left out\n"
    what = summary or f"{len(text):,} characters"
    return Rendered(head + marker + tail,
                    f"{what}, cut to its first {len(head):,} and its last {len(tail):,} characters", True)


def ends(text: str, max_chars: int) -> tuple[str, str]:
    """The start and the end :func:`bounded_ends` keeps of ``text``: each cut at a line break
    within its share, else inside a line without sending part of a key (keyshapes)."""
    size = max_chars // _HEAD_SHARE
    head_end = text.rfind("\n", 0, size)
    head = text[:head_end] if head_end > 0 else keyshapes.cut(text, size)
    tail_from = len(text) - (max_chars - size)
    tail_start = text.find("\n", tail_from)
    tail = text[tail_start + 1:] if tail_start != -1 else keyshapes.cut_from(text, tail_from)
    return head, tail


def _text(value: object, limits: Limits) -> Rendered:
    if isinstance(value, (str, numbers.Number)):  # numpy's scalars too: 2160.0, not np.float64(…)
        return Rendered(str(value))
    pandas, numpy = imported("pandas"), imported("numpy")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return _frame(value, limits)
    if pandas is not None and isinstance(value, pandas.Series):
        return _frame(value.to_frame(name=_series_name(value)), limits, series=True)
    if numpy is not None and isinstance(value, numpy.ndarray):
        return _array(numpy, value, limits)
    if not inspect.isclass(value) and getattr(type(value), "_ygpt_fields_", None) is not None:
        return _fields(value, limits.max_chars)
    if not inspect.isclass(value):
        for method, how in (("_repr_llm_", "_repr_llm_()"), ("_repr_markdown_", "_repr_markdown_()")):
            text = _call_repr(value, method)
            if text is not None:
                return Rendered(text, f"{type(value).__name__} via {how}")
    return Rendered(repr(value))


def _fields(value: object, max_chars: int) -> Rendered:
    """A value of named fields (``{row}``) within ``max_chars``, each long field shortened
    (fields.py); its summary names the fields cut, never the class (which the user never made)."""
    shown, cut = fields.lines(value._ygpt_fields_(), max_chars)  # type: ignore[attr-defined]
    return Rendered(shown, cut, cut is not None)


def _call_repr(value: object, method: str) -> str | None:
    """``value.method()`` as text, or None when it has none or declines (returns None)."""
    if getattr(type(value), method, None) is None:
        return None
    result = getattr(value, method)()
    if isinstance(result, tuple):  # IPython's (data, metadata) form
        result = result[0] if result else None
    return None if result is None else str(result)


def _series_name(series: pd.Series) -> str:
    return "value" if series.name is None else str(series.name)


def _frame(frame: pd.DataFrame, limits: Limits, *, series: bool = False) -> Rendered:
    """A Markdown table of the first and last rows and the first columns, with what was left out."""
    rows, columns = frame.shape
    head = rows if rows <= limits.max_rows else (limits.max_rows + 1) // 2
    tail = min(rows - head, limits.max_rows - head)
    shown_columns = min(columns, limits.max_columns)
    positions = list(range(head)) + list(range(rows - tail, rows))
    part = frame.iloc[positions, :shown_columns]
    kind = "Series" if series else "DataFrame"
    shape = f"{rows:,} values" if series else f"{rows:,} rows × {columns:,} columns"
    dtypes = f"dtype: {frame.dtypes.iloc[0]}" if series else f"dtypes: {_dtypes(frame, shown_columns)}"
    lines = [f"{kind}: {shape}", dtypes, ""]
    named = [str(name) for name in frame.index.names if name is not None]  # a MultiIndex has several
    index = _cell(", ".join(named))
    lines.append("| " + " | ".join([index, *(_cell(c) for c in part.columns)]) + " |")
    lines.append("|" + "---|" * (shown_columns + 1))
    shortened = 0
    for number, row in enumerate(part.itertuples(index=True, name=None)):
        if number == head and tail:
            lines.append("| " + " | ".join(["…"] * (shown_columns + 1)) + " |")
        cells = [_cell(item) for item in row]
        shortened += sum(cell.endswith("…") for cell in cells)
        lines.append("| " + " | ".join(cells) + " |")
    left_out = _left_out(frame.index[head:rows - tail], columns - shown_columns, shown_columns, shortened)
    if left_out:
        lines += ["", left_out]
    size = f"of {rows:,} values" if series else f"{rows:,} × {columns:,}"
    sent = _sent(rows, head + tail, columns, shown_columns, shortened)
    return Rendered("\n".join(lines), f"{kind} {size}, {sent}", cut=bool(left_out))


def _sent(rows: int, kept_rows: int, columns: int, kept_columns: int, shortened: int) -> str:
    """What the note under the cell says went of a table: "sent whole" only when every row,
    column and cell went as it is (a 5 × 40 frame was "sent whole and 20 columns")."""
    if kept_rows == rows and kept_columns == columns:
        sent = "sent whole" if not shortened else "sent with every row and column"
    else:
        sent = f"sent as {kept_rows:,} rows" if kept_rows < rows else f"sent as all {rows:,} rows"
        if kept_columns < columns:
            sent += f" and the first {kept_columns:,} columns"
    return f"{sent}, {counted(shortened, 'long cell')} shortened" if shortened else sent


def _dtypes(frame: pd.DataFrame, shown: int) -> str:
    dtypes = [str(dtype) for dtype in frame.dtypes]
    named = ", ".join(f"{_cell(name)} {dtype}" for name, dtype in zip(frame.columns[:shown], dtypes))
    if len(dtypes) <= shown:
        return named
    rest = Counter(dtypes[shown:])
    return f"{named}; the other {len(dtypes) - shown:,}: " + \
        ", ".join(f"{dtype} × {count:,}" for dtype, count in rest.most_common())


def _left_out(rows: pd.Index, columns: int, shown: int, shortened: int) -> str:
    """The line under a table that says what it leaves out: the rows by the index labels the
    table shows beside them (positions counted from 1 named row 34 of a table showing | 34 |),
    the columns by position (the table shows their names)."""
    parts = []
    if len(rows):
        parts.append(f"rows {_cell(rows[0])} to {_cell(rows[-1])} ({len(rows):,} rows)")
    if columns:
        parts.append(f"columns {shown + 1:,} to {shown + columns:,} ({columns:,} columns)")
    text = f"Left out: {'; '.join(parts)}." if parts else ""
    if shortened:
        were = "was" if shortened == 1 else "were"
        note = f"{counted(shortened, 'cell')} longer than {CELL_CHARS} characters {were} shortened (…)."
        text = f"{text} {note}".strip()
    return text


def _cell(item: object) -> str:
    text = " ".join(str(item).split()).replace("|", "\\|")
    return text if len(text) <= CELL_CHARS else keyshapes.cut(text, CELL_CHARS - 1) + "…"


def _array(numpy: ModuleType, array: np.ndarray, limits: Limits) -> Rendered:
    """Shape, dtype and numpy's summary (``...`` between the first and last items of each axis)."""
    edge = max(1, limits.max_rows // 2)
    threshold = limits.max_rows * limits.max_columns
    body = numpy.array2string(array, threshold=threshold, edgeitems=edge, max_line_width=200)
    shape = " × ".join(f"{n:,}" for n in array.shape) or "scalar"
    head = f"ndarray: shape {shape}, dtype {array.dtype}"
    if array.size > threshold:
        head += f" (… marks what was left out: {edge} items are kept at each end of every axis)"
        return Rendered(f"{head}\n{body}", f"ndarray {shape}, sent as its first and last {edge} along each axis",
                        cut=True)
    return Rendered(f"{head}\n{body}", f"ndarray {shape}, sent whole")


def first_line(error: BaseException) -> str:
    """An exception's message for one paragraph: its first line, at most 200 characters."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else "(no message)"
    return text if len(text) <= 200 else text[:199] + "…"


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimedOut in this (main) thread after ``seconds``; a no-op where that cannot be done
    safely (see the module docstring)."""
    usable = (seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return

    def alarm(_signum: int, _frame: FrameType | None) -> NoReturn:
        raise TimedOut

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
