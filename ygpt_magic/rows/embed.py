"""``%ygpt embed NAME``: a matrix of embeddings, one row per text, made the way ``--map`` runs.

The promise is the one ``--map`` keeps (run.py): every text is looked up first (this kernel's
memo, then the reply cache, one entry per text and model), so a re-run or a restart with the
cache on embeds only the new texts; the rest go through ``Client.embed_many`` concurrently on the
client's loop, each vector kept the moment it arrives, under the same progress bar and summary
line. A failed text is a row of NaN with its reason in ``_ygpt.errors``; Ctrl-C or a dead server
keeps every vector that had arrived. A text that appears twice in one run is sent (and billed)
once, and the summary counts the rows that took an earlier row's vector as --map counts repeated
prompts: ``✓ 100 answered (70 sent; 30 repeat an earlier row's text)``.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from ..cache.replies import RecordedVector
from ..chat.budget import Budget
from ..chat.values import Usage
from ..client.embeddings import key_model
from ..errors import CacheMiss, CredentialInPrompt, YGptError
from ..ledger import Ledger
from ..modelname import model_name
from ..words import counted
from . import unattended
from .progress import RunCounts, Tally, one_line
from .progress_bar import Progress, tell
from .stoppable import bar, run_job
from .texts import Texts

if TYPE_CHECKING:
    from ..client.embeddings import Vector
    from ..client.many import ManyJob
    from ..client.sdk import Client
from .vectors import unit_rows

#: the service's vectors, when no text got one to measure
DIMENSIONS = 256
#: vectors the memo keeps (about 1 KB each; the oldest are forgotten first)
MEMO_LIMIT = 200_000

MemoKey = tuple[str, str, str]   # (endpoint kind, model, text)
#: what a text sent stands for in a job's results (the text itself, a position)
Tag = TypeVar("Tag")


class VectorMemo:
    """The vectors this kernel made, by endpoint kind, model and text, and the matrices its runs
    returned, each with the texts of its rows while it lives (:meth:`texts_of`)."""

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self._vectors: OrderedDict[MemoKey, Any] = OrderedDict()
        self._limit = limit
        self._matrices: dict[int, tuple[weakref.ref[Any], Sequence[str]]] = {}

    def made(self, matrix: Any, texts: Sequence[str]) -> None:
        """Remember that row i of ``matrix`` (a run's) is the vector of ``texts[i]``: a row of
        NAME edited since holds a text the memo may have no vector of, which only this says."""
        self._matrices = {key: entry for key, entry in self._matrices.items() if entry[0]() is not None}
        self._matrices[id(matrix)] = (weakref.ref(matrix), list(texts))

    def texts_of(self, matrix: Any) -> Sequence[str] | None:
        """The texts ``matrix`` was made of, row by row, when a run of this kernel made this
        very array (None: made elsewhere, copied, loaded from a file, or in a kernel before)."""
        ref, texts = self._matrices.get(id(matrix), (None, None))
        return texts if ref is not None and ref() is matrix else None

    def get(self, key: MemoKey) -> Any:
        return self._vectors.get(key)

    def put(self, key: MemoKey, vector: Any) -> None:
        self._vectors[key] = vector
        if len(self._vectors) > self._limit:
            self._vectors.popitem(last=False)


@dataclass
class Embedder:
    """Where one run's vectors come from and go: the client (built only when a text is sent),
    the memo, the ledger (the reply cache, when on, and the kernel's accounts: ledger.py)."""

    get_client: Callable[[], Any]
    memo: VectorMemo
    endpoint: str          # endpoint kind: cloud, local or other
    ledger: Ledger
    concurrency: int = 8
    budget: Budget | None = None   # --max-cost: texts stop being sent before it is passed (each
    #                                settled on the client's loop as it ends: Budget.settler)

    def remembered(self, text: str, model: str) -> Any:
        """The vector this kernel made of ``text`` by ``model``, or None."""
        return self.memo.get(_memo_key(self, key_model(model), text))

    def unsent(self, texts: Iterable[str], model: str) -> list[str]:
        """The distinct ``texts`` neither the memo nor the reply cache has a vector of by
        ``model``: what a run would send, and so what its dry run and its cost cap price."""
        keyed = key_model(model)
        return [text for text in dict.fromkeys(texts)
                if self.memo.get(_memo_key(self, keyed, text)) is None and not self.ledger.holds_vector(text, keyed)]


@dataclass
class EmbedRun(RunCounts):
    """What ``_ygpt`` holds after ``%ygpt embed``: the matrix (rows × dimensions, float32, NaN
    rows where a text has no vector), ``errors`` (row → its one-line reason) and the counts."""

    embeddings: Any = None
    model: str = ""
    halted: bool = False   # stopped before its end (Tally.halted: a refusal, an outage, the cost cap, Ctrl-C)

    def __repr__(self) -> str:
        rows, dimensions = self.embeddings.shape
        return f"<EmbedRun {rows:,} × {dimensions} ({self.model}): {self.summary}>"


@dataclass
class _State:
    texts: Texts
    model: str
    vectors: list[Any]
    errors: dict[int, str] = field(default_factory=dict)
    pending: dict[str, list[int]] = field(default_factory=dict)   # text → its rows

    def fill(self, positions: Iterable[int], vector: Any) -> None:
        for position in positions:
            self.vectors[position] = vector
            self.errors.pop(position, None)


def embed(texts: Texts, model: str, embedder: Embedder, *, quiet: bool = False) -> EmbedRun:
    """The whole run (see the module docstring); ``quiet``: no summary line (``similar``'s query)."""
    state = _State(texts, key_model(model), [None] * len(texts.texts))
    tally = Tally(total=len(texts.texts), model=state.model, sends="text")
    _look_up(state, embedder, tally)
    progress = None
    if state.pending:
        progress = _send(state, model, embedder, tally, quiet)
    done = _finish(state, tally, progress, quiet, embedder.ledger)
    embedder.memo.made(done.embeddings, texts.texts)
    return done


def _memo_key(embedder: Embedder, model: str, text: str) -> MemoKey:
    return embedder.endpoint, model, text


def _look_up(state: _State, embedder: Embedder, tally: Tally) -> None:
    """Each text's vector from the memo or the reply cache (counted as the cache's, also for a
    text repeated after it was replayed); the others ``pending``."""
    import numpy as np

    replayed: set[str] = set()
    for position, text in enumerate(state.texts.texts):
        key = _memo_key(embedder, state.model, text)
        vector = embedder.memo.get(key)
        if vector is None and text not in state.pending:
            try:
                vector = _replayed(state, embedder, text)
                if vector is not None:
                    replayed.add(text)
            except CacheMiss as miss:
                raise miss.at_row(state.texts.labels[position]) from None
            except YGptError as error:   # a text that carries a credential: refused, not sent
                state.errors[position] = one_line(error)
                tally.fail(error, sent=False)
                continue
        if vector is None:
            state.pending.setdefault(text, []).append(position)
        else:
            state.vectors[position] = np.asarray(vector)
            tally.reused += 1
            tally.cached += text in replayed


def _replayed(state: _State, embedder: Embedder, text: str) -> Any:
    """The text's recorded vector (None: send it), kept in the memo (the ledger counts it)."""
    import numpy as np

    found = embedder.ledger.replayed_vector(text, state.model)
    if found is None:
        return None
    vector = np.frombuffer(found.values, dtype=np.float32)
    embedder.memo.put(_memo_key(embedder, state.model, text), vector)
    return vector


def _send(state: _State, model: str, embedder: Embedder, tally: Tally, quiet: bool) -> Progress | None:
    """Send the pending texts and keep each vector as it arrives; Ctrl-C at any moment after
    the job starts stops sending (the bar is made before it: stoppable.py)."""
    tally.budget = embedder.budget
    client = embedder.get_client()
    progress = None if quiet else bar(tally, f"embed {len(state.texts.texts):,} texts")   # before the job
    try:
        tally.stopped = run_job(
            lambda texts: embed_within(client, texts, model=model, concurrency=embedder.concurrency,
                                       ledger=embedder.ledger, budget=embedder.budget),
            [(text, text) for text in state.pending],
            lambda results: _collect(results, state, embedder, tally, progress))
    finally:
        if progress is not None:
            progress.close()
        else:
            tally.end()
    return progress


def embed_within(client: Client, texts: Iterable[tuple[Tag, str]], *, model: str, concurrency: int,
                 ledger: Ledger, budget: Budget | None) -> ManyJob:
    """``client.embed_many`` of ``texts`` (``(tag, text)``) by ``model`` under ``budget`` (a cost
    cap; None: none), for ``%ygpt embed`` and a ``--docs`` cell alike: a text is pulled only
    while the budget lets one more go (Budget.gate), and each answer is settled at the roubles
    the ``ledger`` prices it, on the client's loop as it ends (Budget.settler)."""
    if budget is None:
        return client.embed_many(texts, model=model, concurrency=concurrency)
    keyed = key_model(model)

    def priced(vector: Vector) -> Decimal | None:
        return ledger.cost(Usage.read_only(vector.tokens), keyed)

    return client.embed_many(budget.gate(texts), model=model, concurrency=concurrency,
                             on_result=budget.settler(priced))


def _collect(results: Iterable[Any], state: _State, embedder: Embedder, tally: Tally,
             progress: Progress | None) -> None:
    for item in results:
        if item is None:
            if progress is not None:
                progress.tick()
            continue
        text, vector, error = item
        if text is None:  # the job failed as a whole (no server): nothing more was answered
            raise error
        positions = state.pending.pop(text)
        if error is not None:   # a text carrying a credential was refused before it was sent
            sent = not isinstance(error, CredentialInPrompt)
            for position in positions:
                state.errors[position] = one_line(error)
                tally.fail(error, sent=sent)
        else:
            _keep(state, embedder, tally, text, positions, vector)
        if progress is not None:
            for _ in positions:
                progress.advance()


def _keep(state: _State, embedder: Embedder, tally: Tally, text: str, positions: list[int],
          vector: Any) -> None:
    """One text's vector into its rows, the memo, the reply cache and the accounts."""
    import numpy as np

    values = np.asarray(vector.values, dtype=np.float32)
    state.fill(positions, values)
    embedder.memo.put(_memo_key(embedder, state.model, text), values)
    embedder.ledger.kept_vector(text, state.model, RecordedVector(values.tobytes(), vector.tokens,
                                                                  vector.model_version))
    embedder.ledger.paid(state.model, Usage.read_only(vector.tokens))
    tally.add(vector.tokens, 0)
    tally.repeat(len(positions) - 1)


def matrix(vectors: list[Any]) -> Any:
    """The rows as one float32 matrix of unit rows (so ``similar`` ranks with one product; the
    service's vectors already are), NaN where a row has no vector."""
    import numpy as np

    width = next((len(v) for v in vectors if v is not None), DIMENSIONS)
    result = np.full((len(vectors), width), np.nan, dtype=np.float32)
    for position, vector in enumerate(vectors):
        if vector is not None:
            result[position] = vector
    return unit_rows(result)


def _finish(state: _State, tally: Tally, progress: Progress | None, quiet: bool, ledger: Ledger) -> EmbedRun:
    """The run's matrix and counts, its summary shown (unless ``quiet``) with the roubles of
    the texts sent when the price table knows the model, as a reply's footer shows them."""
    if progress is None:
        tally.end()
    summary = tally.summary(cost=ledger.cost(tally.usage, state.model)).replace("rows/s", "texts/s")
    if tally.reused == tally.total:
        summary = f"✓ {counted(tally.total, 'text')} already embedded ({tally.reused_from()}); none was sent again."
    labels = state.texts.labels
    errors = {labels[p]: line for p, line in sorted(state.errors.items())}
    counts = tally.counts(errors, summary)
    if not quiet:
        tell(summary, unattended.left(tally, errors, ledger), progress, counts["provenance"])
    return EmbedRun(**counts, embeddings=matrix(state.vectors),
                    model=model_name(state.model).name, halted=tally.halted())

