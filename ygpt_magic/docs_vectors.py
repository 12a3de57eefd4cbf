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
so a text that fails later loses none that came before it: with the cache on, running the cell
again sends only the texts still missing. (The index, a derived speed-up, writes a file's
vectors only when the file is complete.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

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


def embedder(kernel: Kernel, model: str, cache: Front | None) -> Embeds:
    """``texts → vectors`` (one float32 row per text) by ``model`` (``doc`` or ``query``): each
    text replayed from ``cache`` when recorded there, the rest sent and recorded, under the
    ``budget`` when one is given (the cell's cost cap: IndexingOverCap once it stops them)."""
    ledger = Ledger(kernel.session.accounts, EMBEDDINGS, cache=cache)

    def embed(texts: list[str], budget: Budget | None = None) -> np.ndarray:
        import numpy as np

        keyed = key_model(model)
        rows: list[np.ndarray | None] = [_replayed(ledger, text, keyed, chunk=model == "doc") for text in texts]
        missing = [position for position, row in enumerate(rows) if row is None]
        if missing:
            sent = _sent(kernel, ledger, model, keyed, [texts[p] for p in missing], budget)
            for position, vector in zip(missing, sent):
                rows[position] = vector
        return np.array(rows, dtype=np.float32).reshape(len(texts), -1)
    return embed


def _replayed(ledger: Ledger, text: str, model: str, *, chunk: bool) -> np.ndarray | None:
    """The recorded vector of ``text`` (None: send it); the ledger counts it as replayed. A
    replay-mode miss on a file's ``chunk`` names the chunk, not the cell, as what changed."""
    import numpy as np

    try:
        found = ledger.replayed_vector(text, model)
    except CacheMiss as miss:
        if not chunk:
            raise
        raise miss.of_source_chunk() from None
    return None if found is None else np.frombuffer(found.values, dtype=np.float32)


def _sent(kernel: Kernel, ledger: Ledger, model: str, keyed: str, texts: list[str],
          budget: Budget | None) -> list[np.ndarray | None]:
    """The vectors of ``texts`` from the service by ``model`` (``keyed``: as the cache keys it),
    in order (all or an error), each paid for and kept in the reply cache as it arrives: a call
    that fails on a later text has still bought the earlier ones, and running the cell again
    sends only what is missing. The ``budget`` stops the texts being sent at the cap, each
    settled on the client's loop as it ends (chat/budget.py): IndexingOverCap then."""
    import numpy as np

    client = kernel.connection.client()
    rows: list[np.ndarray | None] = [None] * len(texts)

    def answered(tag: int, vector: Vector) -> None:
        ledger.paid(keyed, Usage.read_only(vector.tokens))
        row = rows[tag] = np.asarray(vector.values, dtype=np.float32)
        ledger.kept_vector(texts[tag], keyed, RecordedVector(row.tobytes(), vector.tokens, vector.model_version))

    # the job starts as every_vector, which stops it on Ctrl-C, takes it: nothing comes between
    every_vector(embed_within(client, enumerate(texts), model=model, concurrency=kernel.settings.map_concurrency,
                              ledger=ledger, budget=budget), len(texts), answered)
    if budget is not None and budget.stopped:
        spent, chunks = budget.paid
        raise IndexingOverCap(kernel.cell_name(), chunks, roubles(spent), budget.cap)
    return rows
