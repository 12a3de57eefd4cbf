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
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..chat.values import Usage

if TYPE_CHECKING:
    from .sdk import Client

#: requests in flight at once while an index is built
GROUP = 8
#: what is told of each request answered: the model's name and its usage (the accounts' add)
Spent = Callable[[str, Usage], object]


def embed_texts(client: Client, texts: list[str], model: str, *,
                spent: Spent | None = None) -> np.ndarray:
    """One vector per text, shape ``(len(texts), dimensions)``, by the ``model`` (``doc`` or
    ``query``); ``spent`` is told of each request (the caller's accounts: the client imports
    no more of the chat layer than its values)."""
    client._guard([{"role": "user", "text": text} for text in texts], {})
    embedder = client._get_sdk().models.text_embeddings(model)
    timeout = client.settings.timeout

    async def run() -> list:
        await client._ensure_reachable()
        results = []
        for start in range(0, len(texts), GROUP):
            group = texts[start:start + GROUP]
            results += await _all_or_none([embedder.run(text, timeout=timeout) for text in group])
        return results

    results = client._call(run, None)
    if spent is not None:
        for result in results:
            spent(f"text-search-{model}", Usage(input_tokens=result.num_tokens, total_tokens=result.num_tokens))
    return np.array([result.embedding for result in results], dtype=np.float32)


async def _all_or_none(coroutines: list) -> list:
    """The results of all, in order; on the first error the others are cancelled and waited
    for before it is raised, so no request of a failed call is still going afterwards."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
