"""A cell's cost before it is sent: the estimate its ``--dry-run`` shows, and the cap
(``--max-cost``, else ``YGptMagics.max_cost_per_cell``) that refuses it before anything is sent.

The door side of chat/estimate.py and chat/budget.py for one request: the input tokens come from
the tokenizer (as ``--dry-run`` counts them), the output is guessed from the chat's earlier
replies (prompt mode: those of every prompt-mode request), and the mode prices ``--deferred`` as
an asynchronous request. A tool exchange may take more rounds than the one estimated.

A ``--docs`` cell is capped as a whole, in two steps: before anything is embedded, the chunks it
will send (those neither its index nor the reply cache holds; their tokens counted by the
tokenizer for a sample of them chosen by length, the others scaled by theirs, as ``%ygpt embed``
counts its texts: priced from their size at 4 bytes a token, a table of digits, under 2 bytes a
token, came to half its bill) must fit the cap by themselves, and stop being sent at it should
they hold more tokens than the sample says (:func:`check_sources`); once the
sources are chosen, its request must fit what the embeddings left of it (``spent`` of
:func:`check_cell`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .chat import Message, Plan, RequestOptions
from .chat.accounts import PROMPT_MODE
from .chat.budget import Budget, above, refuse_over
from .chat.estimate import ASYNC, SYNC, Estimate, cap_of, estimate, guess_output
from .errors import SourcesOverCap, StoppedBeforeAsking, stopping
from .kernel import Kernel
from .rows.embed_dryrun import texts_estimate


def cap(kernel: Kernel, flag: Decimal | None) -> Decimal | None:
    """The cell's cap: ``--max-cost`` when given, else the notebook's setting (None: none)."""
    if flag is not None:
        return flag
    return cap_of(kernel.settings.max_cost_per_cell, "YGptMagics.max_cost_per_cell")


def cell_estimate(kernel: Kernel, plan: Plan, tokens: int, mode: str) -> Estimate:
    """What sending ``plan`` (``tokens`` by the tokenizer) in ``mode`` is expected to cost."""
    accounts = kernel.session.accounts
    output = guess_output(accounts, PROMPT_MODE if plan.once else plan.chat, plan.options.max_tokens)
    return estimate(accounts.prices, plan.options.model, ASYNC if mode == "deferred" else SYNC,
                    requests=1, input_tokens=tokens, output=output)


def check_cell(kernel: Kernel, plan: Plan, get_client: Callable[[], Any], extras: dict[str, Any], mode: str,
               flag: Decimal | None, where: str | None = None, spent: Decimal = Decimal(0)) -> None:
    """CostOverCap before sending when the cell's estimate, plus what it ``spent`` before its
    request (a ``--docs`` cell's embeddings), is over its cap (nothing to do, and no tokenizer
    request, without a cap: ``get_client`` gives the tokenizer, called only to count); ``where``
    names the request in the refusal (default: the running cell; a panel Send is "the panel's
    message", under the same cap)."""
    _check(kernel, flag, lambda: get_client().count_tokens(plan.messages, plan.options, **extras),
           lambda tokens: cell_estimate(kernel, plan, tokens, mode), where, spent)


def check_read(kernel: Kernel, model: str, mode: str, messages: list[Message], counted_by: RequestOptions,
               client: Any, flag: Decimal | None, unshown: int = 0) -> None:
    """CostOverCap before sending a request to ``model`` that has no output (a classification,
    billed in ``mode``) when what it reads, ``messages`` counted by ``counted_by``'s tokenizer
    and the ``unshown`` tokens it cannot be shown (a classifier's instructions), is priced over
    the cell's cap, or cannot be priced under one; nothing to do, and no tokenizer request,
    without a cap."""
    prices = kernel.session.accounts.prices
    _check(kernel, flag, lambda: client.count_tokens(messages, counted_by) + unshown,
           lambda tokens: estimate(prices, model, mode, requests=1, input_tokens=tokens))


def _check(kernel: Kernel, flag: Decimal | None, count: Callable[[], int], priced: Callable[[int], Estimate],
           where: str | None = None, spent: Decimal = Decimal(0)) -> None:
    """The cap rule of one request: with a cap, its tokens counted (a Ctrl-C meanwhile is
    StoppedBeforeAsking, one paragraph, not a traceback) and ``priced``, refused when over."""
    limit = cap(kernel, flag)
    if limit is None:
        return
    with stopping(lambda: StoppedBeforeAsking("its tokens were counted to check the cost cap")):
        tokens = count()
    refuse_over(priced(tokens), limit, where or kernel.cell_name(), spent)


def check_sources(kernel: Kernel, flag: Decimal | None, texts: list[str],
                  get_tokenizer: Callable[[], Any]) -> Budget | None:
    """SourcesOverCap (or CostOverCap when the ``doc`` model has no price) before a ``--docs``
    cell embeds ``texts``, the chunks it will send (neither its index nor the reply cache
    holds them), when that alone is estimated over the cell's cap; under it, the budget that
    stops them being sent at the cap (a sample can say fewer tokens than they hold), as
    ``--map`` rows stop (chat/budget.py). None: no cap, or nothing to send. The tokens are
    counted by the tokenizer (``get_tokenizer``), as ``%ygpt embed`` counts them: every chunk
    when they are few, else a sample chosen over their lengths (rows/scaled.py)."""
    limit = cap(kernel, flag)
    if limit is None or not texts:
        return None
    with stopping(lambda: StoppedBeforeAsking("the chunks' tokens were counted to check the cost cap")):
        chunks, counts = texts_estimate(texts, "doc", get_tokenizer(), kernel.session.accounts.prices)
    cell = kernel.cell_name()
    if chunks.cost is None:   # no price: the cap cannot be checked, which refuses too
        refuse_over(chunks, limit, f"{cell}: choosing the sources")
    elif chunks.cost > limit:
        raise SourcesOverCap(cell, len(texts), chunks.sentence(), limit, above(chunks.cost),
                             counted_from=counts.counted)
    return Budget(limit, chunks.per_request())
