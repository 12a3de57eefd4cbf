"""Rows of fields as plain records, for a kernel without pandas.

``--map --schema`` and ``--map --labels`` give a DataFrame of fields, and ``%ygpt similar`` one of
the closest rows; a DataFrame or Series of rows brings pandas with it, but a plain list does not,
and pandas is an extra (``data``). Without it those results are a list of dicts instead, one per
row in the DataFrame's order, every dict with the DataFrame's columns in its order (None where a
row has no value, and None for a row without an answer, as a list's ``--map`` results have):
``pandas.DataFrame(result)`` later gives the frame. Decided when the results are made, after the
rows were answered: nothing paid for is dropped for want of pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def pandas_or_none() -> Any:
    """The pandas module, or None when it cannot be imported (the ``data`` extra is not installed)."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def as_records(records: Sequence[dict[str, Any] | None], columns: Iterable[str] = ()) -> list[dict[str, Any] | None]:
    """``records`` (one per row, None where there is none) with ``columns`` first, then every
    other field any row has, in every record: the columns a DataFrame of them would have."""
    names = dict.fromkeys(columns)
    for record in records:
        names.update(dict.fromkeys(record or ()))
    return [None if record is None else {name: record.get(name) for name in names} for record in records]
