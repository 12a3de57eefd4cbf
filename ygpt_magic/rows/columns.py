"""A DataFrame's columns as the names of a ``--map`` row: each column read once, as a list, and
reached by its name, or by its name without the spaces around it when that is no other column's.

``pd.read_csv`` keeps the spaces of a header typed ``name, price``: the column is ``' price'``,
and a user writes ``{price}``. So a name that is no column is the one column whose name, stripped
of the white space around it, is that name (:func:`unspaced`); when a column is that name as
written, or two columns strip to it, it is none of them: the exact name wins, and two are
refused naming both (rows/items.py ``Rows.unknown``), never one picked at random.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from numbers import Number
from typing import Any

from ..errors import ColumnNotFound, NoSuchField
from ..imported import imported
from ..words import closest, composed


def unspaced(columns: Iterable[str]) -> dict[str, str]:
    """Each name a column is reached by without the white space around its own (``price`` →
    ``' price'``), for the columns whose name has some, and only when no other column's name
    is that name once stripped (nor is it, as written)."""
    names = list(columns)
    stripped = Counter(name.strip() for name in names)
    return {name.strip(): name for name in names
            if name.strip() and name.strip() != name and stripped[name.strip()] == 1}


def spaced_alike(name: str, columns: Collection[str]) -> list[str]:
    """The columns whose names are ``name`` with white space around it, when there are several
    and none is ``name`` itself (then ``{name}`` reaches none of them: :func:`unspaced`); []
    otherwise."""
    if name in columns:
        return []
    alike = [column for column in columns if column.strip() == name]
    return alike if len(alike) > 1 else []


def missing_kind(value: Any) -> str | None:
    """What a cell with no value holds ("None", "NaN", "NA", "NaT"), or None for a value: pandas
    writes a missing cell as NaN or None (pd.NA, NaT in typed columns), and a prompt would
    carry each as a word."""
    if value is None:
        return "None"
    pandas = imported("pandas")
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return "NA" if value is pandas.NA else "NaT"
    return "NaN" if isinstance(value, Number) and value != value else None


class RowView:
    """``{row}``: the row as ``column: value`` lines (what a model reads well), leaving out the
    fields that hold no value (a ``notes: nan`` line would be read as a note), each column named
    as ``{column}`` reaches it (``price: 5`` for the column ``' price'``, whose space is an
    accident of the CSV header, kept where it tells two columns apart); ``{row.column}``
    and ``{row['product name']}`` read one field, by its column's name or that name without its
    spaces (``aliases``: :func:`unspaced`), checked like ``{column}`` (rows/items.py
    ``Rows.check_present``; a column it lacks is a ColumnNotFound naming those it has). Its
    fields are offered apart (``_ygpt_fields_``), so a long one is shortened in the prompt and
    the others are kept (context/values.py), rather than the joined text cut after the long one."""

    def __init__(self, columns: Sequence[str], values: Sequence[Any], aliases: Mapping[str, str]) -> None:
        self._fields = dict(zip(columns, values))
        self._aliases = aliases
        self._shown = {column: alias for alias, column in aliases.items()}

    def __getattr__(self, name: str) -> Any:
        fields = self.__dict__["_fields"]
        try:
            return self._field(name)
        except KeyError:
            if name.startswith("_"):   # Python's and IPython's probes: no column is meant
                raise AttributeError(name) from None
            raise NoSuchField(name, list(fields), closest(name, fields)) from None

    def __getitem__(self, name: str) -> Any:
        try:
            return self._field(name)
        except KeyError:
            raise ColumnNotFound(name, list(self._fields), closest(str(name), self._fields)) from None

    def _field(self, name: str) -> Any:
        fields, aliases = self.__dict__["_fields"], self.__dict__["_aliases"]
        return fields[name] if name in fields else fields[aliases[name]]

    def _ygpt_fields_(self) -> list[tuple[str, str]]:
        """(column as shown, text) of each field that holds a value."""
        return [(self._shown.get(name, name), str(value)) for name, value in self._fields.items()
                if missing_kind(value) is None]

    def __str__(self) -> str:
        return "\n".join(f"{name}: {text}" for name, text in self._ygpt_fields_())

    _repr_llm_ = __str__


class Columns(Mapping[str, list[Any]]):
    """A frame's columns by name (in NFC: ``composed``), each read as a list the first time it
    is asked for and kept: rows are planned one after another, so a column is read once."""

    def __init__(self, frame: Any) -> None:
        self._frame = frame
        self._labels = {composed(str(c)): c for c in frame.columns}
        self._read: dict[str, list[Any]] = {}

    def __getitem__(self, name: str) -> list[Any]:
        if name not in self._read:
            self._read[name] = self._frame[self._labels[name]].tolist()
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)
