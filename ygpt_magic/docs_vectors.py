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
from .chat.values import Usage
from .client.embeddings import Vector, every_vector, key_model
from .kernel import Kernel

if TYPE_CHECKING:
    import numpy as np

    from .cache.replies import Front

#: where the embedding requests are entered in ``%ygpt usage``
ACCOUNT = "embeddings"


def embedder(kernel: Kernel, model: str, cache: Front | None) -> Callable[[list[str]], np.ndarray]:
    """``texts → vectors`` (one float32 row per text) by ``model`` (``doc`` or ``query``): each
    text replayed from ``cache`` when recorded there, the rest sent and recorded."""

    def embed(texts: list[str]) -> np.ndarray:
        import numpy as np

        keyed = key_model(model)
        rows: list[Any] = [_replayed(kernel, cache, text, keyed) for text in texts]
        missing = [position for position, row in enumerate(rows) if row is None]
        if missing:
            sent = _sent(kernel, cache, model, [texts[p] for p in missing])
            for position, vector in zip(missing, sent):
                rows[position] = vector
        return np.array(rows, dtype=np.float32).reshape(len(texts), -1)
    return embed


def _replayed(kernel: Kernel, cache: Front | None, text: str, model: str) -> Any:
    """The recorded vector of ``text`` (None: send it), entered in the accounts as replayed."""
    import numpy as np

    found = cache.replayed_vector(text, model) if cache is not None else None
    if found is None:
        return None
    kernel.session.accounts.add(ACCOUNT, model, _usage(found.tokens), replayed=True)
    return np.frombuffer(found.values, dtype=np.float32)


def _sent(kernel: Kernel, cache: Front | None, model: str, texts: list[str]) -> list[Any]:
    """The vectors of ``texts`` from the service, in order, then recorded (all or an error)."""
    import numpy as np

    keyed = key_model(model)
    client = kernel.connection.client()
    job = client.embed_many(enumerate(texts), model=model, concurrency=kernel.settings.map_concurrency)

    def answered(vector: Vector) -> None:
        kernel.session.accounts.add(ACCOUNT, keyed, _usage(vector.tokens))

    vectors = every_vector(job, len(texts), answered)
    values = [np.asarray(vector.values, dtype=np.float32) for vector in vectors]
    if cache is not None:
        for text, vector, row in zip(texts, vectors, values):
            cache.recorded_vector(text, keyed, RecordedVector(row.tobytes(), vector.tokens,
                                                              vector.model_version))
    return values


def _usage(tokens: int) -> Usage:
    return Usage(input_tokens=tokens, total_tokens=tokens)
