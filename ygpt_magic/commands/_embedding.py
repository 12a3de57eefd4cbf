"""What ``%ygpt embed`` and ``%ygpt similar`` share: the texts of a notebook variable, where
their vectors come from (the memo, the reply cache's front, the client), and the cost cap over
the texts they would send."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from .. import cost_cap
from ..chat.accounts import EMBEDDINGS
from ..chat.budget import Budget, refuse_over
from ..errors import InterpolationError
from ..kernel import Kernel
from ..ledger import Ledger
from ..request import tokenizer
from ..rows.embed import Embedder
from ..rows.embed_dryrun import first_rows, listed, priced
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


def cap(kernel: Kernel, embedder: Embedder, cache: Front | None, flag: Decimal | None, what: str,
        texts: list[str], model: str, rows: Texts | None = None, query: str | None = None) -> None:
    """CostOverCap, before anything is sent, when embedding ``texts`` with ``model`` is
    estimated over the cap (``flag``, the command's --max-cost, else
    YGptMagics.max_cost_per_cell); under it, ``embedder`` stops sending before the cap is
    passed. Only the texts the command would send are priced (Embedder.unsent: those the memo
    or the reply cache holds cost nothing, looked up only under a cap); ``what`` names the run
    in the refusal. They are priced as ``--dry-run`` prices them (rows/embed_dryrun.priced): a
    text the run would fail, too long to embed or holding a credential, costs nothing.
    ``query``: ``%ygpt similar``'s TEXT, priced at the query model's price, with the advice to
    shorten TEXT. No cap, or nothing to send: no check, and no tokenizer request. ``rows``: the
    notebook value ``texts`` come from, so a replay-mode miss of a text's count names its row,
    as the run's own miss of its vector does."""
    limit = cost_cap.cap(kernel, flag)
    if limit is None:
        return
    texts, asked = embedder.unsent(texts, model), embedder.unsent([] if query is None else [query], "query")
    if not (texts or asked):
        return
    client, prices = tokenizer(kernel, cache)(), kernel.session.accounts.prices
    secrets = kernel.connection.known_secrets()
    costs = []
    if texts:
        costs.append(priced(listed(what, texts, first_rows(rows) if rows else None), model, client, prices,
                            secrets).cost)
    if asked:
        costs.append(priced(listed("TEXT", asked), "query", client, prices, secrets).cost)
    refuse_over(costs[0], limit, what, also=costs[1] if len(costs) > 1 else None,
                shorten="shorten TEXT" if asked else None)
    embedder.budget = Budget(limit, costs[0].per_request())
