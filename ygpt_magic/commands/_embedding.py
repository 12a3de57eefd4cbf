"""What ``%ygpt embed`` and ``%ygpt similar`` share: the texts of a notebook variable, and where
their vectors come from (the memo, the reply cache's front, the client)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..chat.accounts import EMBEDDINGS
from ..errors import InterpolationError
from ..kernel import Kernel
from ..ledger import Ledger
from ..rows.embed import Embedder
from ..rows.texts import Texts, texts_of

if TYPE_CHECKING:
    from ..cache.replies import Front


def texts(kernel: Kernel, name: str, column: str | None, command: str) -> Texts:
    """The texts of the notebook variable ``name`` (InterpolationError when there is none)."""
    if name not in kernel.namespace:
        raise InterpolationError(
            f"%ygpt {command}: there is no variable named '{name}'. Define it in a code cell first "
            f"(a list of strings, a pandas Series, or a DataFrame with --column C), then run this "
            f"again.")
    return texts_of(kernel.namespace[name], name, column, command)


def embedder(kernel: Kernel, cache: Front | None, *, concurrency: int | None) -> Embedder:
    """Where a command's vectors come from: the memo, ``cache`` (the command's reply cache
    front, or None), the client."""
    from ..cache.key import endpoint_kind

    return Embedder(get_client=kernel.connection.client, memo=kernel.vector_memo,
                    endpoint=endpoint_kind(kernel.connection.target),
                    ledger=Ledger(kernel.session.accounts, EMBEDDINGS, cache=cache),
                    concurrency=concurrency or kernel.settings.map_concurrency)
