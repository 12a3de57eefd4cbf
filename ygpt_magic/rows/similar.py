"""``%ygpt similar TEXT --in NAME``: the rows of NAME closest in meaning to TEXT.

Cosine similarity of one query vector against the rows' matrix, in numpy: one matrix-vector
product and a partial sort (``argpartition``) for the top K, so 100,000 × 256 vectors rank in a
few milliseconds where a Python loop over rows takes about a second. Rows without a vector (NaN,
a failed text) never rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import OptionError
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


def checked_vectors(value: Any, name: str, rows: int) -> Any:
    """``--vectors VAR``: a matrix made by ``embed`` for these rows (OptionError otherwise)."""
    import numpy as np

    shape = getattr(value, "shape", None)
    if not isinstance(value, np.ndarray) or value.ndim != 2 or shape is None or shape[0] != rows:
        got = f"an array of shape {shape}" if shape is not None else f"a {type(value).__name__}"
        raise OptionError(
            f"%ygpt similar: --vectors {name} must be the matrix %ygpt embed made for these rows "
            f"({rows:,} rows × dimensions), but it is {got}. Run %ygpt embed NAME --out {name} "
            f"again, or leave out --vectors.")
    return value


def rank(query: Any, vectors: Any, top: int) -> tuple[Any, Any]:
    """The positions of the ``top`` rows most similar to ``query`` and their cosine
    similarities, best first."""
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.shape[1] != len(query):
        raise OptionError(
            f"%ygpt similar: the vectors have {matrix.shape[1]} dimensions but the query has "
            f"{len(query)}: they come from different models. Embed NAME again with %ygpt embed.")
    # einsum: a row's squared length without the temporary matrix norm() builds (4× faster)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix)) * float(np.linalg.norm(query))
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = (matrix @ np.asarray(query, dtype=np.float32)) / norms
    scores = np.where(np.isfinite(scores), scores, -np.inf)
    top = min(top, int(np.isfinite(scores).sum()))
    best = np.argpartition(-scores, top - 1)[:top] if top else np.array([], dtype=int)
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
