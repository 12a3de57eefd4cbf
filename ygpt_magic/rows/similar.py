"""``%ygpt similar TEXT --in NAME``: the rows of NAME closest in meaning to TEXT.

Cosine similarity of one query vector against the rows' matrix, in numpy. The rows are unit
length (``embed`` returns them so, and ``--vectors`` input is made so once, by
:func:`unit_rows`), so a query costs one matrix-vector product and a partial sort
(``argpartition``) for the top K: 100,000 × 256 vectors rank in about 10 ms, where dividing by
each row's length would read the 100 MB matrix twice and a Python loop over rows takes seconds.
Rows without a vector (NaN, a failed text) never rank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import OptionError
from .costs import sample_positions
from .texts import Texts


@dataclass
class SimilarRun:
    """What ``_ygpt`` holds after ``%ygpt similar``: ``results`` (NAME's closest rows with a
    ``similarity`` column, best first), the query, and the rows that had no vector."""

    results: Any
    query: str
    errors: dict[Any, str]
    summary: str

    def __repr__(self) -> str:
        return f"<SimilarRun {self.summary}>"


#: how far from 1 a row's length may be for the row to count as unit length (float32 rounding,
#: and the service's own vectors, which are unit length to about 1e-5)
UNIT_TOLERANCE = 1e-3


def checked_vectors(value: Any, name: str, rows: int) -> Any:
    """``--vectors VAR``: a numeric matrix of one row per text (OptionError otherwise), as
    unit rows (:func:`unit_rows`)."""
    import numpy as np

    shape = getattr(value, "shape", None)
    array = isinstance(value, np.ndarray)
    numeric = array and np.issubdtype(value.dtype, np.number) and not np.iscomplexobj(value)
    if not numeric or value.ndim != 2 or shape is None or shape[0] != rows:
        got = f"an array of shape {shape}" if shape is not None else f"a {type(value).__name__}"
        if array and not numeric:
            got += f" of {value.dtype}"
        raise OptionError(
            f"%ygpt similar: --vectors {name} must be the matrix %ygpt embed made for these rows "
            f"({rows:,} rows × dimensions, numbers), but it is {got}. Run %ygpt embed NAME --out "
            f"{name} again, or leave out --vectors.")
    return unit_rows(value)


def check_rows(vectors: Any, texts: Texts, remembered: Callable[[str], Any], ranked: Iterable[int],
               redo: str, name: str) -> None:
    """``--vectors NAME``: OptionError when a row of ``vectors`` (unit rows) is not the vector
    this kernel made of that row's text (``remembered``: the memo's, or None). A frame sorted or
    filtered since ``%ygpt embed`` made the matrix keeps its row count, so the shape check does
    not see it, and the ranking would quietly name the wrong rows. The ``ranked`` rows (those
    shown) and an even sample of the others are compared: a few dot products. Rows the memo does
    not hold (after a restart) cannot be compared and are trusted; ``redo`` is the embed command
    that makes the matrix again."""
    import numpy as np

    for position in dict.fromkeys([*ranked, *sample_positions(len(texts.texts))]):
        made, row = remembered(texts.texts[position]), vectors[position]
        if made is None or not np.all(np.isfinite(row)):
            continue
        made = np.asarray(made, dtype=np.float32)
        if float(row @ made) < (1 - UNIT_TOLERANCE) * float(np.linalg.norm(made)):
            raise OptionError(
                f"%ygpt similar: --vectors {name} does not fit {texts.name}: its row "
                f"{texts.labels[position]!r} holds the vector of another text, so {texts.name} was "
                f"sorted, filtered or edited after {name} was made (or {name} comes from another "
                f"model). Run {redo} --out {name} again, or leave out --vectors (the vectors made "
                f"earlier are reused from the memo).")


def unit_rows(vectors: Any) -> Any:
    """``vectors`` as float32 rows of length 1, so a cosine is one dot product: the matrix
    itself when its rows already are (checking reads it once), else a scaled copy. A row of
    zeros or NaN becomes NaN: it never ranks."""
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    lengths = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    measured = lengths[~np.isnan(lengths)]
    if np.all(np.abs(measured - 1) <= UNIT_TOLERANCE):
        return matrix
    with np.errstate(invalid="ignore", divide="ignore"):
        return matrix / lengths[:, None]


def rank(query: Any, vectors: Any, top: int) -> tuple[Any, Any]:
    """The positions of the ``top`` rows most similar to ``query`` and their cosine
    similarities, best first; ``vectors`` are unit rows (:func:`unit_rows`: what ``embed``
    returns), so the scores are one matrix-vector product."""
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.shape[1] != len(query):
        raise OptionError(
            f"%ygpt similar: the vectors have {matrix.shape[1]} dimensions but the query has "
            f"{len(query)}: they come from different models. Embed NAME again with %ygpt embed.")
    direction = np.asarray(query, dtype=np.float32)
    scores = matrix @ (direction / np.float32(np.linalg.norm(direction)))
    scores[~np.isfinite(scores)] = -np.inf
    top = min(top, len(scores) - int(np.isneginf(scores).sum()))
    best = np.argpartition(-scores, top - 1)[:top] if top > 0 else np.array([], dtype=int)
    best = best[np.argsort(-scores[best], kind="stable")]
    return best, scores[best]


def results_frame(texts: Texts, positions: Any, scores: Any, column: str | None) -> Any:
    """NAME's rows at ``positions`` (a DataFrame's whole rows, else their text) with a
    ``similarity`` column."""
    import pandas as pd

    source = texts.source
    if isinstance(source, pd.DataFrame):
        frame = source.iloc[positions].copy()
    elif isinstance(source, pd.Series):
        frame = source.iloc[positions].to_frame(name=source.name if source.name is not None else "text")
    else:
        frame = pd.DataFrame({"text": [texts.texts[p] for p in positions]}, index=list(positions))
    frame["similarity"] = scores
    return frame
