"""What ``%%ygpt --map NAME`` goes over: its rows, the names each row gives the template, and the
results put back in the same shape.

A list, tuple or any other iterable that can be gone through again (a generator is refused: a
re-run would map nothing): ``{item}`` is the element (``{index}`` its position). A pandas
DataFrame: each column is ``{column}`` whatever its name (``{product name}``, ``{2024 sales}``:
context/interpolate.py fills braces holding a column's name before any other rule), also
without the spaces around its name when no other column is that name (``{price}`` for the
``' price'`` of a CSV header typed ``name, price``: rows/columns.py), and ``{row['column']}``,
``{row}`` the whole row,
``{index}`` its index label (``_ygpt.errors`` is keyed by it, or by position when labels repeat);
a column named ``index`` or ``row`` wins over those (rename it to reach them: see ``Rows.value``).
A Series: ``{item}`` and ``{index}``. Results come back as a list in the items' order, or as a
Series on the DataFrame's / Series' own index (a DataFrame of the parsed fields with
``--schema``), so ``frame["label"] = result`` lines up row by row.

pandas is imported only when the value is a pandas object: ``--map`` over a list works without it.
Columns are read once as lists (``frame.iloc[i]`` per row costs ~50 µs; 100,000 rows would pay
that twice), each when a row first reads it (rows/columns.py): a frame of a thousand feature
columns under ``{text}`` reads one, not a thousand (3,000 × 1,000 Python floats cost seconds and
hundreds of MB). ``{row}`` is built only when the template asks for it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import (
    ExpressionRaised,
    InterpolationError,
    MissingValue,
    OptionError,
    RowExpressionFailed,
    YGptError,
)
from ..imported import imported
from ..words import closest, composed, listed, look_alike
from .columns import Columns, RowView, missing_kind, spaced_alike, unspaced

#: braces left as written that could be a column's name mistyped (words, digits, spaces,
#: hyphens, dots), and how close they must be to one: a typo (``product nme``: 0.96), not other
#: words beside a shared one (``first name`` and ``product name``: 0.64, ``your text``: 0.6)
_NAME_LIKE = re.compile(r"[\w .\-]+")
_TYPO = 0.8


class RowNames(Mapping[str, Any]):
    """The names one row gives its template (looked up first, before the notebook's); ``read``:
    whether filling the template in took one of them, so a run can tell a template that reads
    nothing from its rows (every row the same prompt) from rows whose data happen to be alike."""

    def __init__(self, rows: Rows, position: int) -> None:
        self._rows, self._position = rows, position
        self.read = False

    def __getitem__(self, name: str) -> Any:
        value = self._rows.value(self._position, name)
        self.read = True
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._rows.names

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows.names)

    def __len__(self) -> int:
        return len(self._rows.names)


class Rows:
    """The rows of one ``--map`` value, with their labels, and how results go back."""

    def __init__(self, kind: str, count: int, labels: Sequence[Any], index: Any = None,
                 items: Sequence[Any] | None = None, columns: Mapping[str, Sequence[Any]] | None = None,
                 name: str = "") -> None:
        self.kind = kind                 # "list", "series" or "frame"
        self.name = name                 # the notebook variable the rows come from
        self.count = count
        self.labels = labels             # what _ygpt.errors is keyed by: position or index label
        self.by_position = index is not None and isinstance(labels, range)  # labels repeat
        self._index = index              # the pandas index results keep
        self._index_labels = index.tolist() if self.by_position else labels   # what {index} is
        self._items = items
        self._columns = columns or {}
        self._unspaced = unspaced(self._columns)   # {price} for the column ' price' (rows/columns.py)
        if kind == "frame":
            self.names = frozenset(self._columns) | set(self._unspaced) | {"row", "index"}
        else:
            self.names = frozenset(("item", "index"))

    def __len__(self) -> int:
        return self.count

    def names_of(self, position: int) -> RowNames:
        return RowNames(self, position)

    def value(self, position: int, name: str) -> Any:
        """Row ``position``'s ``{name}``. A column wins over the built-in ``{index}`` and
        ``{row}``: a column named ``index`` is what ``df.reset_index()`` makes of the labels the
        user means, and hiding it behind the new 0..n-1 index would send other numbers, unsaid.
        ``{index}`` is the row's index label even when labels repeat (``pd.concat`` of frames):
        only ``_ygpt.errors`` falls back to positions then, and says so."""
        if (column := self.column(name)) is not None:
            return self._columns[column][position]
        if name == "index":   # the label, also where _ygpt.errors is keyed by position
            return self._index_labels[position]
        if name == "item" and self._items is not None:
            return self._items[position]
        if name == "row" and self.kind == "frame":
            return RowView(list(self._columns), [column[position] for column in self._columns.values()],
                           self._unspaced)
        raise KeyError(name)

    def column(self, name: str) -> str | None:
        """The column ``{name}`` reads: the one of that name, else the one that is that name
        with spaces around it (rows/columns.py ``unspaced``); None when it reads none."""
        return name if name in self._columns else self._unspaced.get(name)

    def check_present(self, position: int, references: Collection[str]) -> None:
        """MissingValue when the template's ``references`` (``{text}``, ``{row.text}``,
        ``{item}``) read a cell of this row that holds no value. Only that row fails: one review
        without text among 5,000 should not stop the others, and the reason names the row and
        how to drop or fill such rows. An ``{expression}`` sees the value itself (its code can
        test it), and ``{row}`` leaves such a field out (:class:`RowView`), failing the row only
        when it has no field left: a blank line of a CSV would be sent as the template alone."""
        cells = {path: cell for path in sorted(references) if (cell := self._cell(path)) is not None}
        found = {path: kind for path, cell in cells.items()
                 if (kind := missing_kind(self.value(position, cell))) is not None}
        if found:
            columns = sorted({cells[path] for path in found})
            raise MissingValue(self.labels[position], found, self._fill_advice(columns))
        if "row" in references and self._reads_row_view and not str(self.value(position, "row")):
            raise MissingValue(self.labels[position], {"row": "every field is empty"},
                               f"Leave such rows out ({self.name}.dropna(how='all'))",
                               because="and the prompt would carry the cell's text without the row")

    @property
    def _reads_row_view(self) -> bool:
        """Whether ``{row}`` is the whole row (not a column named ``row``)."""
        return self.kind == "frame" and "row" not in self._columns

    def _cell(self, path: str) -> str | None:
        """The name of the cell ``{path}`` reads (the column or item of ``{name}`` or
        ``{name.attr}``, the field of ``{row.field}``), or None when it reads none."""
        if (column := self.column(path)) is not None:   # a column named 'price.usd'
            return column
        head, _, rest = path.partition(".")
        if (column := self.column(head)) is not None:
            return column
        if head == "item" and self._items is not None:
            return head
        return self.column(rest.partition(".")[0]) if head == "row" else None

    def _fill_advice(self, columns: list[str]) -> str:
        """How to leave out or fill the rows whose ``columns`` hold no value, in the user's value."""
        if self.kind == "list":
            return f"Leave such items out of {self.name}, or replace them with text"
        if self.kind == "series":
            return f"Leave such rows out ({self.name}.dropna()) or give them a value ({self.name}.fillna('…'))"
        fill = ", ".join(f"{column!r}: '…'" for column in columns)
        return (f"Leave such rows out ({self.name}.dropna(subset={columns!r})) or give them a "
                f"value ({self.name}.fillna({{{fill}}}))")

    def failed(self, position: int, error: InterpolationError) -> YGptError:
        """What row ``position`` fails with when its template could not be filled in. An
        ``{expression}`` that raised over the row's own values fails that row alone: as a
        MissingValue when one of them holds none (``{text[:2000]}`` over a NaN review, with the
        advice every such row gets), else naming the row and what was raised. One that reads
        none of them would raise on every row alike, so it stays the cell's error."""
        raised = error.raised
        reads = sorted(raised.reads & self.names) if raised is not None else []
        if raised is None or not reads:
            return self.unknown(error)
        empty = {name: kind for name in reads if (kind := missing_kind(self.value(position, name))) is not None}
        if empty:
            because = f"on which {raised.expression} raised {raised.error}"
            columns = [self.column(name) or name for name in empty]
            return MissingValue(self.labels[position], empty, self._fill_advice(columns), because)
        return RowExpressionFailed(self.labels[position], raised, self.unknown(error))

    def unknown(self, error: InterpolationError) -> InterpolationError:
        """What to tell a user whose template names a variable that does not exist: over a
        DataFrame, ``{review}`` was almost surely meant as a column, so say it has none and list
        those it has (the notebook-wide "no variable" message would blame the wrong thing)."""
        if self.kind != "frame":
            return error
        raised = error.raised
        if error.missing is None:   # an expression that read a name there is none of: a column's, mistyped?
            named = raised is not None and raised.error.startswith("NameError")
            return (self._not_a_column(raised.expression[1:-1], raised) if raised and named else None) or error
        twin = look_alike(error.missing, self._columns)
        meant = f" {twin.question(error.missing)}" if twin else self._meant(error.missing)
        return InterpolationError(
            f"--map {self.name}: the cell uses {{{error.missing}}}, but the DataFrame {self.name} "
            f"has no column '{error.missing}' (and there is no variable of that name either).{meant} Its "
            f"columns are {self._listed()}; each column is a {{name}} of each row, whatever its name. "
            f"Fix the name in the cell, or write {{{{{error.missing}}}}} for literal braces.",
            missing=error.missing)

    def check_unfilled(self, contents: Iterable[str]) -> None:
        """InterpolationError when braces left as written (``{product nme}``: context/interpolate.py
        ``unfilled``) hold a mistyped name of a column that is not a Python name: sent as written,
        every row would get the same prompt, its data nowhere in it. Other prose in braces
        (``{a few words}``) stays as written, as in any cell."""
        for content in sorted(set(map(composed, contents)) - self.names):
            error = self._not_a_column(content)
            if error is not None:
                raise error

    def _not_a_column(self, content: str, raised: ExpressionRaised | None = None) -> InterpolationError | None:
        """The cell's error for braces holding ``content`` close to the name of a column that is
        not a Python name: ``{product-nme}`` that ``raised`` as an expression, or ``{product nme}``
        left as written; None when no such column is close."""
        if raised is None and not _NAME_LIKE.fullmatch(content.strip()):
            return None   # prose, JSON, a formula in braces: no column's name, mistyped or not
        meant = self._meant(content.strip(), spaced=True, cutoff=0.6 if raised else _TYPO)
        if not meant:
            return None
        said = f", evaluated as Python, raised {raised.error}" if raised else \
            " would be sent as written in every row, no row's data in its place"
        return InterpolationError(
            f"--map {self.name}: the cell uses {{{content}}}, which is not a column of the DataFrame "
            f"{self.name} and{said}.{meant} Its columns are {self._listed()}. Fix the name in the "
            f"cell, or write {{{{{content}}}}} for literal braces.")

    def _meant(self, typed: str, spaced: bool = False, cutoff: float = 0.6) -> str:
        """' Did you mean the column …? Write {…} or {row[…]}.' for the column ``typed`` most
        likely meant ('' when none is as close as ``cutoff``), in the braces that reach it
        (``{price}`` for ' price'); ``spaced``: only among columns that are not Python names
        (braces around other text are prose unless they hold one of those). When that name is
        several columns' with spaces around it, it names them all: none is picked for the user."""
        pool = [c for c in self._columns if not (spaced and c.isidentifier())]
        alike = spaced_alike(typed.strip(), self._columns)
        column = alike[0] if alike else closest(typed, pool, cutoff)
        if column is None:
            return ""
        alike = alike or spaced_alike(column.strip(), self._columns)
        if alike:
            ways = " or ".join(f"{{row[{c!r}]}}" for c in alike)
            return (f" The columns {listed([repr(c) for c in alike])} are {'both' if len(alike) == 2 else 'all'} "
                    f"'{column.strip()}' with spaces around it, so {{{column.strip()}}} reads none of them: "
                    f"write {ways} for the one meant.")
        brace = column.strip() if self._unspaced.get(column.strip()) == column else column
        return f" Did you mean the column {column!r}? Write {{{brace}}} or {{row[{column!r}]}}."

    def _listed(self) -> str:
        return ", ".join(repr(c) for c in self._columns) or "none"

    def row_reads_out(self, reads: Iterable[str], out: str | None) -> str:
        """A note ('' when none) for a ``{row}`` template over a frame that has a column named
        ``out``, the cell's ``--out``: the answers were put back as a column, and ``{row}``
        sends every column, so each row's prompt now carries its earlier answer and differs
        from the one answered: the rows are sent (and paid for) again, unlike what a re-run's
        "only the rows without an answer" promises. Said before they are sent."""
        if self.kind != "frame" or out is None or out not in self._columns or "row" not in reads:
            return ""
        return (f"Note: {self.name} has a column '{out}' (this cell's --out), and {{row}} sends every "
                f"column, so each row's prompt now carries that column too and the rows answered "
                f"before are new requests, sent and paid for again. To reuse their answers, map over "
                f"the frame without it ({self.name}_in = {self.name}.drop(columns='{out}'), then "
                f"--map {self.name}_in), or keep the answers apart from {self.name} until the run is "
                f"complete.")

    def results(self, values: list[Any], name: str | None = None) -> Any:
        """``values`` (one per row, None where there is no answer) in the rows' shape."""
        if self.kind == "list":
            return values
        import pandas as pd

        return pd.Series(values, index=self._index, name=name, dtype=object)

    def frame(self, records: list[dict[str, Any] | None], columns: Sequence[str] = ()) -> Any:
        """Parsed fields (one dict per row, None where there is none) as a DataFrame on the
        rows' index (a list's rows get 0..n-1), with ``columns`` first (NaN where no row has
        them), so the frame's columns do not depend on how many rows were answered. Without
        pandas (only a list's rows get here then) they are records (rows/records.py)."""
        from .records import as_records, pandas_or_none

        pd = pandas_or_none()
        if pd is None:
            return as_records(records, columns)
        index = self._index if self.kind != "list" else range(self.count)
        frame = pd.DataFrame.from_records([r if r is not None else {} for r in records], index=index)
        return frame.reindex(columns=[*columns, *(c for c in frame.columns if c not in columns)])


def rows_of(value: Any, name: str) -> Rows:
    """The rows of the notebook variable ``name``; OptionError for a value that has none."""
    pandas = imported("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        check_columns(value.columns, name, f"--map {name}", "a row's {name} and {row}")
        return Rows("frame", len(value), row_labels(value.index), index=value.index,
                    columns=Columns(value), name=name)
    if pandas is not None and isinstance(value, pandas.Series):
        return Rows("series", len(value), row_labels(value.index), index=value.index,
                    items=value.tolist(), name=name)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        kind = type(value).__name__
        hint = " (list(d.values()) or pandas.Series(d) maps its values)" if isinstance(value, Mapping) else ""
        raise OptionError(
            f"--map {name}: {name} is a {kind}, not a list, tuple, iterable, pandas DataFrame or "
            f"Series of rows{hint}. Put the rows in a list or a DataFrame and run the cell again.")
    if isinstance(value, Iterator):
        raise OptionError(
            f"--map {name}: {name} is a {type(value).__name__}, which can be gone through only "
            f"once: this run would use it up, and running the cell again would map 0 rows and "
            f"overwrite --out with nothing. Pass list(...) instead: run {name} = list({name}) in a "
            f"code cell (or build a list in the first place), then run this cell again.")
    items = value if isinstance(value, (list, tuple)) else list(value)
    return Rows("list", len(items), range(len(items)), items=items, name=name)


def check_columns(columns: Iterable[Any], name: str, door: str, reader: str) -> None:
    """OptionError when two columns go by one name (``pd.concat(axis=1)`` of frames that share a
    column, or ``1`` and ``"1"``): ``reader`` (what picks a column by its name: ``--map``'s
    ``{text}`` and ``{row}``, embed's ``--column``) could not tell which is meant. ``door``
    starts the message: ``--map df``, ``%ygpt embed``."""
    repeated = [(column, n) for column, n in Counter(str(c) for c in columns).items() if n > 1]
    if not repeated:
        return
    named = " and ".join(f"{n} columns named {column!r}" for column, n in repeated)
    raise OptionError(
        f"{door}: the DataFrame {name} has {named}, so {reader} cannot tell them apart. Give "
        f"every column its own name ({name}.columns = [...]) or drop the repeats "
        f"({name} = {name}.loc[:, ~{name}.columns.duplicated()]), then run the cell again.")


def row_labels(index: Any) -> Sequence[Any]:
    """What names each row in ``_ygpt.errors``: its index label, or its position when the index
    repeats labels (three failed rows labelled "x" would otherwise be one entry). The one rule
    for --map, --batch, %ygpt embed and %ygpt similar (rows/texts.py)."""
    return index.tolist() if index.is_unique else range(len(index))
