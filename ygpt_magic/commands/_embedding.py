"""What ``%ygpt embed`` and ``%ygpt similar`` share: the texts of a notebook variable, and where
their vectors come from (the memo, the reply cache's front, the client)."""

from __future__ import annotations

from ..errors import InterpolationError
from ..kernel import Kernel
from ..request import front
from ..rows.embed import Embedder
from ..rows.texts import Texts, texts_of


def texts(kernel: Kernel, name: str, column: str | None, command: str) -> Texts:
    """The texts of the notebook variable ``name`` (InterpolationError when there is none)."""
    if name not in kernel.namespace:
        raise InterpolationError(
            f"%ygpt {command}: there is no variable named '{name}'. Define it in a code cell first "
            f"(a list of strings, a pandas Series, or a DataFrame with --column C), then run this "
            f"again.")
    return texts_of(kernel.namespace[name], name, column, command)


def embedder(kernel: Kernel, what: str, *, no_cache: bool, concurrency: int | None) -> Embedder:
    """Where this command's vectors come from; ``what`` names it in a cache error."""
    from ..cache.key import endpoint_kind

    cache = None if no_cache else front(kernel, what)
    return Embedder(get_client=kernel.connection.client, memo=kernel.vector_memo,
                    endpoint=endpoint_kind(kernel.connection.target), accounts=kernel.session.accounts,
                    cache=cache, concurrency=concurrency or kernel.settings.map_concurrency)
