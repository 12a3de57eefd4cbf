"""The vectors of a ``--docs`` cell (its question's and its files' new chunks), each text fronted
by the reply cache the way ``%ygpt embed`` fronts it: one entry per model and text.

Why through the reply cache and not only the sources index: the reply cache is the one file a
notebook's CI replays (docs/guide/reproducible.md), so a ``--docs`` cell replays from it alone,
with no server and no credentials, even where the index beside it is missing or stale (a fresh
checkout, a file changed back, the index left out of the repository). The index stays what it
is, a derived speed-up keyed by file content. A replay-mode miss is the usual CacheMiss
paragraph naming the cell; nothing is sent and no client (so no local server) is built.

What is not recorded goes down the one embedding path (``Client.embed_many``: guarded,
translated, concurrent, all or an error): each answer is entered in the accounts as it arrives
(it is paid for even if a later text fails), and the vectors are recorded once all of them are
there, as the index writes a file only when it is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .cache.replies import RecordedVector
from .chat.accounts import EMBEDDINGS
from .client.embeddings import every_vector, key_model
from .kernel import Kernel
from .ledger import Ledger, tokens

if TYPE_CHECKING:
    import numpy as np

    from .cache.replies import Front


def embedder(kernel: Kernel, model: str, cache: Front | None) -> Callable[[list[str]], np.ndarray]:
    """``texts → vectors`` (one float32 row per text) by ``model`` (``doc`` or ``query``): each
    text replayed from ``cache`` when recorded there, the rest sent and recorded."""
    ledger = Ledger(kernel.session.accounts, EMBEDDINGS, cache=cache)

    def embed(texts: list[str]) -> np.ndarray:
        import numpy as np

        keyed = key_model(model)
        rows: list[Any] = [_replayed(ledger, text, keyed) for text in texts]
        missing = [position for position, row in enumerate(rows) if row is None]
        if missing:
            sent = _sent(kernel, ledger, model, [texts[p] for p in missing])
            for position, vector in zip(missing, sent):
                rows[position] = vector
        return np.array(rows, dtype=np.float32).reshape(len(texts), -1)
    return embed


def _replayed(ledger: Ledger, text: str, model: str) -> Any:
    """The recorded vector of ``text`` (None: send it); the ledger counts it as replayed."""
    import numpy as np

    found = ledger.replayed_vector(text, model)
    return None if found is None else np.frombuffer(found.values, dtype=np.float32)


def _sent(kernel: Kernel, ledger: Ledger, model: str, texts: list[str]) -> list[Any]:
    """The vectors of ``texts`` from the service, in order, each paid for as it arrives, then
    all recorded (all or an error)."""
    import numpy as np

    keyed = key_model(model)
    client = kernel.connection.client()
    job = client.embed_many(enumerate(texts), model=model, concurrency=kernel.settings.map_concurrency)
    vectors = every_vector(job, len(texts), lambda vector: ledger.paid(keyed, tokens(vector.tokens)))
    values = [np.asarray(vector.values, dtype=np.float32) for vector in vectors]
    for text, vector, row in zip(texts, vectors, values):
        ledger.kept_vector(text, keyed, RecordedVector(row.tobytes(), vector.tokens, vector.model_version))
    return values
