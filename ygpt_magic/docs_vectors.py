"""The vectors of a ``--docs`` cell (its question's and its files' new chunks), each text fronted
by the reply cache the way ``%ygpt embed`` fronts it: one entry per model and text.

Why through the reply cache and not only the sources index: the reply cache is the one file a
notebook's CI replays (docs/guide/reproducible.md), so a ``--docs`` cell replays from it alone,
with no server and no credentials, even where the index beside it is missing or stale (a fresh
checkout, a file changed back, the index left out of the repository). The index stays what it
is, a derived speed-up keyed by file content. A replay-mode miss is the usual CacheMiss
paragraph naming the cell; nothing is sent and no client (so no local server) is built.

What is not recorded goes down the one embedding path (``Client.embed_many``: guarded,
translated, concurrent, all or an error): each answer is paid for and recorded as it arrives,
so a text that fails later loses none that came before it. The index keeps each call's vectors
once the call is done; those of a call stopped part way (Ctrl-C, a server or quota failure, the
cost cap) go into the kernel's vector memo, which ``%ygpt embed`` keeps by server, model and
text too and which is looked up first: with or without the cache, running the cell again sends
only the texts still missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from .cache.key import endpoint_kind
from .cache.replies import RecordedVector
from .chat.accounts import EMBEDDINGS
from .chat.budget import Budget
from .chat.prices import roubles
from .chat.values import Usage
from .client.embeddings import Vector, every_vector, key_model
from .errors import CacheMiss, IndexingOverCap
from .kernel import Kernel
from .ledger import Ledger
from .rows.embed import embed_within

if TYPE_CHECKING:
    import numpy as np

    from .cache.replies import Front


class Embeds(Protocol):
    """``texts → vectors``, one float32 row per text, under a ``budget`` when one is given."""

    def __call__(self, texts: list[str], budget: Budget | None = None) -> np.ndarray: ...


def embedder(kernel: Kernel, model: str, cache: Front | None, names: Mapping[str, str] | None = None) -> Embeds:
    """``texts → vectors`` (one float32 row per text) by ``model`` (``doc`` or ``query``): each
    text from the kernel's memo or replayed from ``cache`` when held there, the rest sent and
    recorded, under the ``budget`` when one is given (the cell's cost cap: IndexingOverCap once
    it stops them). ``names``: a chunk's text → its file and lines (``notes/a.md:1–3``), which a
    replay-mode miss on it names, as one on a row of ``%ygpt embed`` names the row."""
    ledger = Ledger(kernel.session.accounts, EMBEDDINGS, cache=cache)
    memo = _Memo(kernel, model)

    def embed(texts: list[str], budget: Budget | None = None) -> np.ndarray:
        import numpy as np

        rows: list[np.ndarray | None] = [memo.get(text) for text in texts]
        rows = [_replayed(ledger, text, memo.model, chunk=model == "doc", names=names or {}) if row is None else row
                for text, row in zip(texts, rows)]
        missing = [position for position, row in enumerate(rows) if row is None]
        if missing:
            sent = _sent(kernel, ledger, model, memo, [texts[p] for p in missing], budget)
            for position, vector in zip(missing, sent):
                rows[position] = vector
        return np.array(rows, dtype=np.float32).reshape(len(texts), -1)
    return embed


def unsent(kernel: Kernel, model: str, cache: Front | None, texts: list[str]) -> list[str]:
    """The ``texts`` an embedder of ``model`` would send: those neither the kernel's memo nor
    ``cache`` holds (what a cost cap or a dry run prices)."""
    memo = _Memo(kernel, model)
    return [text for text in texts if memo.get(text) is None
            and (cache is None or not cache.holds_vector(text, memo.model))]


class _Memo:
    """The kernel's vector memo (rows/embed.py) as one model's embedder reads and fills it: by
    the server connected to, the model as the cache keys it, and the text."""

    def __init__(self, kernel: Kernel, model: str) -> None:
        self.memo = kernel.vector_memo
        self.server = endpoint_kind(kernel.connection.target)
        self.model = key_model(model)

    def get(self, text: str) -> np.ndarray | None:
        found: np.ndarray | None = self.memo.get((self.server, self.model, text))
        return found

    def put(self, text: str, vector: np.ndarray) -> None:
        self.memo.put((self.server, self.model, text), vector)


def _replayed(ledger: Ledger, text: str, model: str, *, chunk: bool, names: Mapping[str, str]) -> np.ndarray | None:
    """The recorded vector of ``text`` (None: send it); the ledger counts it as replayed. A
    replay-mode miss on a file's ``chunk`` names the chunk (by ``names``: its file and lines),
    not the cell's text, as what changed."""
    import numpy as np

    try:
        found = ledger.replayed_vector(text, model)
    except CacheMiss as miss:
        if not chunk:
            raise
        raise miss.of_source_chunk(names.get(text)) from None
    return None if found is None else np.frombuffer(found.values, dtype=np.float32)


def _sent(kernel: Kernel, ledger: Ledger, model: str, memo: _Memo, texts: list[str],
          budget: Budget | None) -> list[np.ndarray | None]:
    """The vectors of ``texts`` from the service by ``model``, in order (all or an error), each
    paid for and kept in the reply cache as it arrives: a call that fails on a later text has
    still bought the earlier ones, which go into the ``memo`` too, so running the cell again
    sends only what is missing. The ``budget`` stops the texts being sent at the cap, each
    settled on the client's loop as it ends (chat/budget.py): IndexingOverCap then."""
    import numpy as np

    client = kernel.connection.client()
    rows: list[np.ndarray | None] = [None] * len(texts)

    def answered(tag: int, vector: Vector) -> None:
        ledger.paid(memo.model, Usage.read_only(vector.tokens))
        row = rows[tag] = np.asarray(vector.values, dtype=np.float32)
        ledger.kept_vector(texts[tag], memo.model, RecordedVector(row.tobytes(), vector.tokens, vector.model_version))

    try:
        # the job starts as every_vector, which stops it on Ctrl-C, takes it: nothing comes between
        every_vector(embed_within(client, enumerate(texts), model=model, concurrency=kernel.settings.map_concurrency,
                                  ledger=ledger, budget=budget), len(texts), answered)
        if budget is not None and budget.stopped:
            spent, chunks = budget.paid
            raise IndexingOverCap(kernel.cell_name(), chunks, roubles(spent), budget.cap)
    except BaseException:
        for text, row in zip(texts, rows):
            if row is not None:
                memo.put(text, row)
        raise
    return rows
