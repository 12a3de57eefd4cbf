"""Texts → embedding vectors through the SDK's public ``sdk.models.text_embeddings``, for
``--docs`` (the ``doc`` model for the files' chunks, ``query`` for the question).

Why here and this narrow: the index (sources/index.py) takes any ``texts → vectors`` callable,
and this is the one that goes over the wire. Each text is one TextEmbedding request; an index
build sends many, so they run concurrently on the client's loop in bounded groups. Like every
request method of the client, it checks the texts for credentials before anything is sent and
maps the SDK's errors once (``Client._call``). The lead folds it into ``Client.embed_many``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import numpy as np

from ..chat.values import Usage

if TYPE_CHECKING:
    from ..chat.accounts import Accounts
    from .sdk import Client

#: requests in flight at once while an index is built
GROUP = 8
#: where embedding requests are entered in ``%ygpt usage``
SOURCE = "embeddings"


def embed_texts(client: Client, texts: list[str], model: str, *,
                accounts: Accounts | None = None) -> np.ndarray:
    """One vector per text, shape ``(len(texts), dimensions)``, by the ``model`` (``doc`` or
    ``query``); their tokens go into ``accounts``."""
    client._guard([{"role": "user", "text": text} for text in texts], {})
    embedder = client._get_sdk().models.text_embeddings(model)
    timeout = client.settings.timeout

    async def run() -> list:
        await client._ensure_reachable()
        results = []
        for start in range(0, len(texts), GROUP):
            group = texts[start:start + GROUP]
            results += await asyncio.gather(*(embedder.run(text, timeout=timeout) for text in group))
        return results

    results = client._call(run, None)
    if accounts is not None and results:
        tokens = sum(result.num_tokens for result in results)
        accounts.add(SOURCE, f"text-search-{model}", Usage(input_tokens=tokens, total_tokens=tokens))
    return np.array([result.embedding for result in results], dtype=np.float32)
