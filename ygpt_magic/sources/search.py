"""The best chunks for a question, the ones that fit the context budget, and how they read: the
numbered sources block a request carries and the source lines shown under a reply.

Why a plain matrix product: 20 MB of files is about 15,000 chunks of 256 floats, 15 MB; one
product and an ``argpartition`` rank them in milliseconds, with no index structure to keep in
step with the files. The instruction that tells the model to cite ``[n]`` is not here: it is a
setting of the magic (no hidden prompts), shown by ``--dry-run``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InternalError, SourcesTooLong
from ..words import counted
from .index import Index, Vectors

#: how many tokens a text takes (at most, for an upper bound such as :func:`utf8_size`)
Size = Callable[[str], int]


@dataclass(frozen=True)
class Hit:
    """A chunk found for a question: its file as the user named it, where in it, its text,
    and its cosine similarity to the question."""

    path: str
    where: str
    text: str
    score: float

    @property
    def label(self) -> str:
        return f"{self.path}{self.where}"


@dataclass(frozen=True)
class Fitted:
    """The hits a request carries, out of ``found``, within ``budget`` tokens."""

    hits: list[Hit]
    found: int
    budget: int

    def note(self) -> str | None:
        """The line saying what was left out, or None when every hit fits."""
        if len(self.hits) == self.found:
            return None
        return (f"✂ {len(self.hits)} of the {counted(self.found, 'source')} found fit the "
                f"{self.budget:,} tokens left for sources; the {self.found - len(self.hits)} less "
                f"relevant were left out.")


def utf8_size(text: str) -> int:
    """No tokenizer makes more tokens of ``text`` than it has UTF-8 bytes."""
    return len(text.encode())


def best(index: Index, documents: Mapping[str, str], query: np.ndarray, top_k: int) -> list[Hit]:
    """The ``top_k`` chunks of ``documents`` (content hash → path shown) most like ``query``,
    best first (ties in index order, so a run repeats). A chunk no closer to the question than
    an unrelated text (cosine ≤ 0) is no source: it would only cost tokens and invite a citation."""
    return retrieve(index, documents, query, top_k)[0]


def retrieve(index: Index, documents: Mapping[str, str], query: np.ndarray,
             top_k: int) -> tuple[list[Hit], Standing | None]:
    """:func:`best`'s hits and how the best stands against every chunk (:func:`_standing`),
    from one scoring: every file's vectors joined and multiplied by the query once a cell."""
    vectors, scores = _scored(index, documents, query)
    return _top(index, documents, vectors, scores, top_k), _standing(scores)


def _top(index: Index, documents: Mapping[str, str], vectors: Vectors, scores: np.ndarray,
         top_k: int) -> list[Hit]:
    count = min(top_k, int(np.count_nonzero(scores > 0)))
    if not count:
        return []
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.lexsort((vectors.ids[top], -scores[top]))]
    stored = index.chunks(vectors.ids[top].tolist())
    return [Hit(documents[chunk.digest], chunk.where, chunk.text, float(scores[row]))
            for chunk, row in zip(stored, top)]


@dataclass(frozen=True)
class Standing:
    """How the best chunk stands against every chunk searched: the scores' median and median
    absolute deviation (MAD), over ``count`` chunks."""

    best: float
    median: float
    mad: float
    count: int

    def stands_out(self) -> bool:
        """Whether the best chunk is an outlier among the folder's scores for this question, by
        the modified z-score rule (Iglewicz and Hoaglin: 0.6745·(x − median)/MAD > 3.5); True
        when there are too few chunks to tell (:data:`FEW`). See :func:`standing` for why."""
        if self.count < FEW:
            return True
        if self.mad == 0:
            return self.best > self.median
        return OUTLIER_SCALE * (self.best - self.median) / self.mad > OUTLIER


#: fewer chunks than this say too little about what unrelated text scores: the rule is not applied
FEW = 10
#: the modified z-score of an outlier, and its scale (Iglewicz & Hoaglin, 1993)
OUTLIER, OUTLIER_SCALE = 3.5, 0.6745


def _standing(scores: np.ndarray) -> Standing | None:
    """The best of ``scores`` against all of them, every chunk's searched (None: no chunk).

    Why relative and not a fixed score: a score means something only against the same model's
    scores. The local server's hashed vectors score unrelated text 0.1–0.26 (shared words such
    as "the", word pieces); dense models such as the cloud's score it higher still, and by how
    much we could not measure (the recordings hold one vector). But in any folder most chunks
    are unrelated to any one question, so the median over them is what unrelated text scores
    *for this question, in this model*, and the MAD how much that varies. A chunk that answers
    stands out from them as an outlier; when the best does not, the files probably do not hold
    the answer. It is a note, not a cut: a folder all about the question's topic has no outlier
    either, and the model is told to say when the sources do not hold the answer."""
    if not len(scores):
        return None
    median = float(np.median(scores))
    return Standing(float(scores.max()), median, float(np.median(np.abs(scores - median))), len(scores))


def _scored(index: Index, documents: Mapping[str, str], query: np.ndarray) -> tuple[Vectors, np.ndarray]:
    """Every chunk of ``documents`` and its cosine similarity to ``query``."""
    vectors = index.vectors(documents)
    if not len(vectors.ids):
        return vectors, np.zeros(0, dtype=np.float32)
    return vectors, vectors.matrix @ _unit_query(query, vectors.matrix.shape[1])


def _unit_query(query: np.ndarray, dimensions: int) -> np.ndarray:
    vector = np.asarray(query, dtype=np.float32).reshape(-1)
    if vector.shape[0] != dimensions:
        raise InternalError(ValueError(f"the query vector has {vector.shape[0]} dimensions, "
                                       f"the index {dimensions}: embedded by another model?"))
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def fit(hits: Sequence[Hit], budget: int, size: Size = utf8_size, *, chat_system: bool = False) -> Fitted:
    """The best hits whose sources block fits ``budget`` tokens, as ``size`` measures a block,
    in order of relevance (the longest run from the best, so ``[n]`` stays the rank).
    SourcesTooLong when hits were found and not even the best fits (``chat_system``: the
    chat's own system message took part of the budget, so the refusal offers --once).

    ``size`` may ask the tokenizer (docs_cell.py), so blocks are measured whole, and a cut is
    found by halving: 1 + log2(n) counts, not one per source."""
    if not hits or size(sources_block(hits)) <= budget:
        return Fitted(list(hits), len(hits), budget)
    fits, over = 0, len(hits)   # the first ``fits`` hits fit, the first ``over`` do not
    while over - fits > 1:
        middle = (fits + over) // 2
        if size(sources_block(hits[:middle])) <= budget:
            fits = middle
        else:
            over = middle
    if not fits:
        raise SourcesTooLong(size(_entry(1, hits[0])), budget, len(hits), chat_system)
    return Fitted(list(hits[:fits]), len(hits), budget)


def sources_block(hits: Sequence[Hit]) -> str:
    """The numbered sources a request carries: ``[1] path:12–40`` over each chunk's text."""
    return "\n\n".join(_entry(number, hit) for number, hit in enumerate(hits, start=1))


def source_lines(hits: Sequence[Hit]) -> str:
    """The lines under a reply: ``[1] reports/q3.md:12–40 · 0.83``."""
    return "\n".join(f"[{number}] {hit.label} · {hit.score:.2f}" for number, hit in enumerate(hits, start=1))


def _entry(number: int, hit: Hit) -> str:
    return f"[{number}] {hit.label}\n{hit.text}"
