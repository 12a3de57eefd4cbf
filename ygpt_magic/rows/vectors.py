"""The vector arithmetic of ``%ygpt embed`` and ``%ygpt similar``: unit rows and the ranking.

Cosine similarity of one query vector against the rows' matrix, in numpy. The rows are unit
length (``embed`` returns them so, and ``--vectors`` input is made so once, by
:func:`unit_rows`), so a query costs one matrix-vector product and a partial sort
(``argpartition``) for the top K: 100,000 × 256 vectors rank in about 10 ms, where dividing by
each row's length would read the 100 MB matrix twice and a Python loop over rows takes seconds.
Rows without a vector (NaN, a failed text) never rank.
"""

from __future__ import annotations

from typing import Any

from ..errors import OptionError

#: how far from 1 a row's length may be for the row to count as unit length (float32 rounding,
#: and the service's own vectors, which are unit length to about 1e-5)
UNIT_TOLERANCE = 1e-3


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
