"""``%ygpt similar TEXT --in NAME``: the rows of NAME closest in meaning to TEXT.

The whole flow after the command has parsed its line and capped the cost: NAME's vectors (embedded,
or ``--vectors VAR`` checked against the texts this kernel made it of and its memo), TEXT's vector, the ranking
(rows/vectors.py) and the rows as a DataFrame (a list of dicts without pandas). A run whose
embedding of NAME stops short returns that embedding run, whose summary says why, and TEXT is
not sent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import OptionError, TextTooLongToEmbed
from ..words import some_of
from .embed import DIMENSIONS, Embedder, EmbedRun, embed
from .scaled import sample_positions
from .texts import NAMED, Texts
from .vectors import UNIT_TOLERANCE, rank, unit_rows

#: the column of ``_ygpt.results`` that holds each row's similarity, unless NAME has one so named
SIMILARITY = "similarity"


@dataclass
class SimilarRun:
    """What ``_ygpt`` holds after ``%ygpt similar``: ``results`` (NAME's closest rows with their
    similarity in ``column``, best first), the query, and the rows that had no vector."""

    results: Any
    query: str
    errors: dict[Any, str]
    summary: str
    positions: Any = None   # the rows' positions in NAME, best first
    scores: Any = None      # and their similarities
    labels: Any = None      # and their labels, as NAME.loc takes them (a list's: positions)
    repeats: bool = False   # NAME's index repeats a label: a label may name several rows
    column: str = SIMILARITY   # the results' column of the similarities (free_column)

    def __repr__(self) -> str:
        return f"<SimilarRun {self.summary}>"


@dataclass(frozen=True)
class Given:
    """``--vectors VAR``: NAME's matrix made earlier (unit rows), the variable's name, and the
    embed command that makes it again (the refusal of a row that does not fit names it)."""

    vectors: Any
    name: str
    redo: str

    def check(self, texts: Texts, embedder: Embedder, ranked: Iterable[int]) -> None:
        """OptionError when the rows at ``ranked`` or a sample are not the vectors of their texts."""
        check_rows(self.vectors, texts, lambda text: embedder.remembered(text, "doc"), ranked,
                   self.redo, self.name)


def given_vectors(namespace: Mapping[str, Any], name: str, texts: Texts, embedder: Embedder, redo: str) -> Given:
    """``--vectors VAR`` (``name`` in ``namespace``) checked before anything is sent: that it
    exists, its shape, then a sample of its rows against the vectors this kernel made of their
    texts. ``redo``: the embed command that makes it (``%ygpt embed NAME --column C``)."""
    if name not in namespace:
        raise OptionError(
            f"%ygpt similar: --vectors {name}, but there is no variable named {name!r} in the "
            f"notebook. Make it with {redo} --out {name}, give --vectors the name an earlier "
            f"%ygpt embed wrote with --out, or leave out --vectors.")
    value = namespace[name]
    given = Given(checked_vectors(value, name, len(texts.texts), redo), name, redo)
    check_texts(embedder.memo.texts_of(value), texts, redo, name)
    given.check(texts, embedder, ())
    return given


def similar(texts: Texts, query: str, embedder: Embedder, top: int, given: Given | None) -> SimilarRun | EmbedRun:
    """The ``top`` rows of ``texts`` closest to ``query``; ``given``: ``--vectors``, else the
    texts are embedded with the doc model, and when that stops short (a refusal every text would
    get, the cost cap, Ctrl-C) its run is returned: its summary said why, and the query would stop
    the same way."""
    errors: dict[Any, str] = {}
    if given is None:
        rows = embed(texts, "doc", embedder)
        if rows.halted:
            return rows
        vectors, errors = rows.embeddings, rows.errors
    else:
        vectors = given.vectors
    positions, scores = rank(_query_vector(query, embedder), vectors, top)
    if given is not None:   # the rows shown, too (a sample was compared before sending)
        given.check(texts, embedder, positions)
    summary = f"{len(positions)} of {len(texts.texts):,} rows of {texts.name} closest to {query!r}"
    results, column = results_frame(texts, positions, scores)
    return SimilarRun(results, query, errors, summary, positions, scores, *texts.loc(positions), column)


def _query_vector(query: str, embedder: Embedder) -> Any:
    """TEXT's vector; OptionError when it has none: its error, or the cost cap that NAME's
    texts reached (the query is sent last), or Ctrl-C."""
    asked = embed(Texts("TEXT", [query], [0], [query]), "query", embedder, quiet=True)
    if asked.errors:
        too_long = TextTooLongToEmbed.said_in(asked.errors[0])
        if too_long is not None:
            raise too_long.of_similar()
        raise OptionError(f"%ygpt similar: TEXT could not be embedded: {asked.errors[0]}")
    if asked.halted:
        why = ("NAME's texts reached the cost cap, so TEXT was not sent. Run it again with a higher "
               "--max-cost" if embedder.budget is not None and embedder.budget.stopped
               else "stopped before TEXT was embedded. Run it again")
        raise OptionError(f"%ygpt similar: {why}; the vectors made so far are kept and reused.")
    return asked.embeddings[0]


def checked_vectors(value: Any, name: str, rows: int, redo: str) -> Any:
    """``--vectors VAR``: a numeric matrix of one row per text (OptionError otherwise, naming
    ``redo``, the embed command that makes it), as unit rows (:func:`unit_rows`)."""
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
            f"({rows:,} × {DIMENSIONS} numbers: a row of each text's vector), but it is {got}. Run {redo} --out {name} "
            f"again, or leave out --vectors.")
    return unit_rows(value)


def check_rows(vectors: Any, texts: Texts, remembered: Callable[[str], Any], ranked: Iterable[int],
               redo: str, name: str) -> None:
    """``--vectors NAME``: OptionError when a row of ``vectors`` (unit rows) is not the vector
    this kernel made of that row's text (``remembered``: the memo's, or None). A frame sorted or
    filtered since ``%ygpt embed`` made the matrix keeps its row count, so the shape check does
    not see it, and the ranking would quietly name the wrong rows. The ``ranked`` rows (those
    shown) and an even sample of the others are compared: a few dot products. Rows the memo does
    not hold cannot be compared here (after a restart they are trusted; a matrix this kernel made
    is held to its texts by :func:`check_texts`); ``redo`` is the embed command that makes the
    matrix again."""
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


def check_texts(made: Sequence[str] | None, texts: Texts, redo: str, name: str) -> None:
    """``--vectors NAME`` that a run of this kernel made (``made``: the texts of its rows, None
    when it is not known): OptionError naming the rows whose text is not the one their vector was
    made of. A row edited since holds a text the memo has no vector of, so :func:`check_rows`
    cannot see it, and its old text's vector would rank it under the new text."""
    if made is None:
        return
    changed = [repr(label) for label, now, then in zip(texts.labels, texts.texts, made) if now != then]
    if changed:
        rows = f"row {changed[0]}" if len(changed) == 1 else f"rows {some_of(changed[:NAMED], len(changed))}"
        raise OptionError(
            f"%ygpt similar: --vectors {name} does not fit {texts.name}: {rows} of {texts.name} "
            f"{'holds' if len(changed) == 1 else 'hold'} another text than when %ygpt embed made "
            f"{name} ({texts.name} was sorted, filtered or edited since), so {name} would rank "
            f"{'it' if len(changed) == 1 else 'them'} by the old text's vector. Run {redo} --out "
            f"{name} again (it sends only the texts not embedded yet), or leave out --vectors.")


def results_frame(texts: Texts, positions: Any, scores: Any) -> tuple[Any, str]:
    """NAME's rows at ``positions`` (a DataFrame's whole rows, else their text) with the scores in
    a column of their own (:func:`free_column`), and that column's name; a list's rows without
    pandas as records (rows/records.py): its position (``index``), text and similarity."""
    from .records import pandas_or_none

    pd = pandas_or_none()
    if pd is None:   # NAME is a list: a DataFrame or Series would have brought pandas
        return [{"index": int(p), "text": texts.texts[p], SIMILARITY: float(s)}
                for p, s in zip(positions, scores)], SIMILARITY
    source = texts.source
    if isinstance(source, pd.DataFrame):
        frame = source.iloc[positions].copy()
    elif isinstance(source, pd.Series):
        frame = source.iloc[positions].to_frame(name=source.name if source.name is not None else "text")
    else:
        frame = pd.DataFrame({"text": [texts.texts[p] for p in positions]}, index=list(positions))
    column = free_column(frame.columns)
    frame[column] = scores
    return frame, column


def free_column(taken: Any) -> str:
    """``similarity``, else ``similarity_1``, ``similarity_2``, ... the first name ``taken`` (a
    frame's columns) lacks: a column of NAME's own so named (a rating, or a Series' texts) keeps
    its values, as ``DataFrame.merge`` keeps both sides' columns under new names."""
    names = itertools.chain([SIMILARITY], (f"{SIMILARITY}_{n}" for n in itertools.count(1)))
    return next(name for name in names if name not in taken)
