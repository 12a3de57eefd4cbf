"""A cell's cost before it is sent: the estimate its ``--dry-run`` shows, and the cap
(``--max-cost``, else ``YGptMagics.max_cost_per_cell``) that refuses it before anything is sent.

The door side of chat/estimate.py and chat/budget.py for one request: the input tokens come from
the tokenizer (as ``--dry-run`` counts them), the output is guessed from the chat's earlier
replies (prompt mode: those of every prompt-mode request), a picture adds its fixed tokens (the
tokenizer counts text only), and the mode prices ``--deferred`` as an asynchronous request.

A cell's cap is asked by its exchange before each request it sends (:class:`RequestCap`), after
the reply cache was looked up: a replayed request costs nothing, so a recorded cell replays
whatever the cap (in replay mode the tokenizer is never asked), and each later round of a tool
exchange is checked with what the rounds before it were billed, so a tool that returns a long
text stops the exchange before the round that would pass the cap.

A ``--docs`` cell is capped as a whole, in two steps: before anything is embedded, the chunks it
will send (those neither its index nor the reply cache holds; their tokens counted by the
tokenizer for a sample of them chosen by length, the others scaled by theirs, as ``%ygpt embed``
counts its texts: priced from their size at 4 bytes a token, a table of digits, under 2 bytes a
token, came to half its bill) and its answer with the longest chunks in place of its sources
(as its ``--dry-run`` prices it) must fit the cap together, and the chunks stop being sent at
it should they hold more tokens than the sample says (:func:`check_sources`); once the sources
are chosen, its request must fit what the embeddings left of it (``spent`` of
:func:`request_cap`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .chat import Extras, Message, Plan, RequestOptions
from .chat.accounts import PROMPT_MODE
from .chat.budget import Budget, above, refuse_over
from .chat.counting import Tokenizes
from .chat.estimate import ASYNC, SYNC, Estimate, cap_of, estimate, guess_output
from .chat.pictures import PICTURE_TOKENS
from .chat.prices import roubles
from .chat.tooluse import ToolCall
from .errors import CostOverCap, SourcesOverCap, StoppedBeforeAsking, stopping
from .errors.origin import Origin
from .kernel import Kernel
from .render.tools import call_line
from .rows.embed_dryrun import listed, priced


def cap(kernel: Kernel, flag: Decimal | None) -> Decimal | None:
    """The cell's cap: ``--max-cost`` when given, else the notebook's setting (None: none)."""
    if flag is not None:
        return flag
    return cap_of(kernel.settings.max_cost_per_cell, "YGptMagics.max_cost_per_cell")


def pictured(messages: Sequence[Message]) -> int:
    """The input tokens of the pictures ``messages`` carry, which the tokenizer leaves out (it
    counts text: client/sdk.py); every round of a tool exchange sends them again."""
    return PICTURE_TOKENS * sum(len(message.get("images") or ()) for message in messages)


def cell_estimate(kernel: Kernel, plan: Plan, tokens: int, mode: str,
                  messages: Sequence[Message] | None = None) -> Estimate:
    """What sending ``plan`` in ``mode`` is expected to cost: ``tokens`` of text by the
    tokenizer, plus its pictures'; ``messages``: a later round of its tool exchange instead."""
    accounts = kernel.session.accounts
    output = guess_output(accounts, PROMPT_MODE if plan.once else plan.chat, plan.options.max_tokens)
    sent = plan.messages if messages is None else messages
    return estimate(accounts.prices, plan.options.model, ASYNC if mode == "deferred" else SYNC,
                    requests=1, input_tokens=tokens + pictured(sent), output=output)


def request_cap(kernel: Kernel, plan: Plan, get_tokenizer: Callable[[], Tokenizes], mode: str,
                flag: Decimal | None, spent: Decimal = Decimal(0), where: str | None = None) -> RequestCap | None:
    """The cap the exchange of ``plan`` asks before each request it sends (None: no cap, and
    nothing is counted for it); ``spent``: what the cell paid before its request (a ``--docs``
    cell's embeddings); ``where`` names the request in a refusal (default: the running cell; a
    panel Send is "the panel's message", under the same cap)."""
    limit = cap(kernel, flag)
    if limit is None:
        return None
    return RequestCap(kernel, plan, get_tokenizer, mode, limit, where or kernel.cell_name(), spent)


@dataclass(frozen=True)
class RequestCap:
    """A cell's cap as its exchange asks it before a request is sent (exchange.py: never for one
    the reply cache replays). The first request is refused as any request over a cap is
    (chat/budget.py), before anything shows; a later round of a tool exchange when what the cell was billed so far
    (the server's counts) plus the round's estimate is over the cap. The exchange then stops as
    at Ctrl-C: nothing of it joins the chat, the calls made stay on screen, the rounds sent are
    counted."""

    kernel: Kernel
    plan: Plan
    get_tokenizer: Callable[[], Tokenizes]
    mode: str
    limit: Decimal
    where: str
    spent: Decimal = Decimal(0)

    def __call__(self, messages: list[Message], options: RequestOptions, extras: Extras, *,
                 number: int, paid: Decimal, calls: Sequence[ToolCall]) -> None:
        """CostOverCap before request ``number`` (1: the first) of the exchange, which has
        ``paid`` for the ones sent before it and made ``calls``."""
        if number == 1:
            tokens = _counted(lambda: self.get_tokenizer().count_tokens(messages, options, **extras))
            return refuse_over(self._estimate(tokens, messages), self.limit, self.where, self.spent)
        tokens = self.get_tokenizer().count_tokens(messages, options, **extras)  # Ctrl-C: the exchange's stop
        round_ = self._estimate(tokens, messages)
        cost = round_.cost
        if cost is None or cost + paid + self.spent > self.limit:
            raise CostOverCap(lambda origin: self._stopped(origin, round_, number, paid, calls))
        return None

    def _estimate(self, tokens: int, messages: Sequence[Message]) -> Estimate:
        return cell_estimate(self.kernel, self.plan, tokens, self.mode, messages)

    def _stopped(self, origin: Origin, round_: Estimate, number: int, paid: Decimal,
                 calls: Sequence[ToolCall]) -> str:
        """The paragraph of an exchange stopped before round ``number``, its advice worded for
        where the request came from (the panel has no ``--max-cost``)."""
        before = "the first round" if number == 2 else f"the {number - 1} rounds before it"
        embedded = f", and its embeddings {roubles(self.spent)}" if self.spent else ""
        higher = above(paid + self.spent + (round_.cost or Decimal(0)))
        setting = "YGptMagics.max_cost_per_cell"
        cost = f"cost {roubles(paid)} by the server's count" if paid else "cost nothing (replayed)"
        return (f"{self.where}: the tool exchange stopped at the cost cap of {self.limit:f} ₽ "
                f"({origin.flag(f'--max-cost or {setting}', setting)}): round {number}, which sends the "
                f"tool results back, was not sent. {before.capitalize()} {cost}{embedded}; round {number}: "
                f"{round_.sentence()} {_last_result(calls)} Nothing of the exchange was added to the "
                f"chat, as after Ctrl-C; the calls made stay above, and "
                f"%ygpt usage counts the rounds sent. To go ahead, raise the cap "
                f"({origin.flag(f'--max-cost {higher}', f'%config {setting} = {higher}')}), "
                f"or have the tool return less (YGptMagics.max_value_chars bounds each result).")


def _last_result(calls: Sequence[ToolCall]) -> str:
    """What the last tool call gave back, by its size (the text itself may be anything)."""
    if not calls:
        return ""
    last = calls[-1]
    return f"The last call, {call_line(last.name, last.arguments)}, returned {len(last.result):,} characters."


def check_read(kernel: Kernel, model: str, mode: str, messages: list[Message], counted_by: RequestOptions,
               client: Tokenizes, flag: Decimal | None, unshown: int = 0) -> None:
    """CostOverCap before sending a request to ``model`` that has no output (a classification,
    billed in ``mode``) when what it reads, ``messages`` counted by ``counted_by``'s tokenizer
    and the ``unshown`` tokens it cannot be shown (a classifier's instructions), is priced over
    the cell's cap, or cannot be priced under one; nothing to do, and no tokenizer request,
    without a cap."""
    limit = cap(kernel, flag)
    if limit is None:
        return
    tokens = _counted(lambda: client.count_tokens(messages, counted_by) + unshown)
    refuse_over(estimate(kernel.session.accounts.prices, model, mode, requests=1, input_tokens=tokens),
                limit, kernel.cell_name())


def _counted(count: Callable[[], int]) -> int:
    """``count()``; a Ctrl-C meanwhile is StoppedBeforeAsking, one paragraph, not a traceback."""
    with stopping(lambda: StoppedBeforeAsking("its tokens were counted to check the cost cap")):
        return count()


def check_sources(kernel: Kernel, flag: Decimal | None, texts: list[str],
                  get_tokenizer: Callable[[], Tokenizes], answer: Callable[[], Estimate]) -> Budget | None:
    """SourcesOverCap (or CostOverCap when a model has no price) before a ``--docs`` cell embeds
    ``texts``, the chunks it will send (neither its index nor the reply cache holds them), when
    they and the ``answer`` after them (the most it can cost, as its ``--dry-run`` counts it)
    are estimated over the cell's cap: the whole cell is checked before anything is sent, so a
    cap that lets the indexing go does not refuse the answer it was for. Under it, the budget
    that stops the chunks being sent at the cap (a sample can say fewer tokens than they hold),
    as ``--map`` rows stop (chat/budget.py). None: no cap, or nothing to send. The tokens are
    counted by the tokenizer (``get_tokenizer``), as ``%ygpt embed`` counts them: every chunk
    when they are few, else a sample chosen over their lengths (rows/scaled.py)."""
    limit = cap(kernel, flag)
    if limit is None or not texts:
        return None
    counting = "the tokens of the chunks and the answer were counted to check the cost cap"
    with stopping(lambda: StoppedBeforeAsking(counting)):
        found = priced(listed("the chunks", texts), "doc", get_tokenizer(), kernel.session.accounts.prices)
        reply = answer()
    chunks, cell = found.cost, kernel.cell_name()
    for part, what in ((chunks, "choosing the sources"), (reply, "its answer")):
        if part.cost is None:   # no price: the cap cannot be checked, which refuses too
            refuse_over(part, limit, f"{cell}: {what}")
    total = (chunks.cost or Decimal(0)) + (reply.cost or Decimal(0))
    if total > limit:
        raise SourcesOverCap(cell, len(texts), chunks.sentence(), reply.sentence(), roubles(total), limit,
                             above(total), counted_from=found.tokens.counted)
    return Budget(limit, chunks.per_request())
