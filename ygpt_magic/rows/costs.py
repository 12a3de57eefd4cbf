"""What the rows of a ``--map`` / ``--batch`` cell will cost: their prompts' tokens counted by
the tokenizer API (every row when there are few, else a sample, the others scaled by their
length: rows/scaled.py), their replies' tokens guessed (chat/estimate.py), priced in the run's
mode. A Batch Processing job is billed at least
:data:`~ygpt_magic.chat.prices.BATCH_MINIMUM_TOKENS`, so its estimate is never less than that
(:class:`JobEstimate`): a few rows' tokens would make a 40 ₽ job look like 0.19 ₽.

Used by ``--dry-run`` (every row) and by a cost cap before a run (the rows it would send:
:func:`capped` refuses the run or gives it its running budget).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..chat.accounts import MAP_ROWS
from ..chat.budget import Budget, above, refuse_over
from ..chat.counting import Tokenizes
from ..chat.estimate import BATCH, NO_OUTPUT, Estimate, estimate, guess_output
from ..chat.prices import BATCH_MINIMUM_TOKENS, roubles
from ..errors import CostOverCap
from .plans import RowPlanner, RowText, before_sending
from .scaled import Scaled, scaled


def count_rows(plans: RowPlanner, positions: Sequence[int], client: Tokenizes, prompt_of: Callable[[int], RowText], *,
               replies: bool = True) -> Scaled:
    """The prompt tokens of the rows at ``positions``: a sample of them asked of the tokenizer
    (rows/scaled.py), each row's template as ``prompt_of`` filled it in and read as the model
    reads it (``RowPlanner.read``: a classification's task and labels too), plus what the
    tokenizer cannot be shown (``RowPlanner.unshown_tokens``: a classifier's own instructions);
    the other rows scaled by their filled-in length. ``replies`` False: classifications, whose
    extras the tokenizer does not take (their labels and task are counted among the messages)."""
    extras = plans.extras if replies else {}

    def tokens(at: int) -> int:
        found: int = client.count_tokens(plans.read(prompt_of(positions[at])), plans.counted_by, **extras)
        return found + plans.unshown_tokens

    return scaled([_length(prompt_of(p)) for p in positions], tokens)


def _length(text: RowText) -> int:
    """The characters a row's filled-in texts hold: what its tokens grow with."""
    return len(text.prompt) + len(text.system or "")


@dataclass(frozen=True)
class JobEstimate(Estimate):
    """A Batch Processing job's estimate: its rows' tokens, billed as no fewer than
    BATCH_MINIMUM_TOKENS (``floored`` when the rows hold fewer, and the sentence says so)."""

    @property
    def floored(self) -> bool:
        return self.price is not None and self.input_tokens + self.output_tokens < BATCH_MINIMUM_TOKENS

    @property
    def cost(self) -> Decimal | None:
        if self.price is None:
            return None
        return self.price * max(self.input_tokens + self.output_tokens, BATCH_MINIMUM_TOKENS) / 1000

    def sentence(self) -> str:
        """Estimate.sentence, or, for a job below the minimum, the minimum it is billed and
        what its rows alone would cost: ``Estimated cost ≈40.00 ₽: a Batch Processing job is
        billed at least 200,000 tokens, …; by their own tokens these rows would cost ≈0.19 ₽: …``."""
        if not self.floored:
            return super().sentence()
        rows = Estimate(self.requests, self.input_tokens, self.output, self.model, self.mode, self.price)
        own = rows.sentence().removeprefix("Estimated cost ")
        return (f"Estimated cost {roubles(self.cost or Decimal(0))}: a Batch Processing job is billed "
                f"at least {BATCH_MINIMUM_TOKENS:,} tokens, whatever its rows hold; by their own "
                f"tokens these rows would cost {own}")


def rows_estimate(plans: RowPlanner, counted: Scaled, *, batch: bool = False,
                  replies: bool = True) -> Estimate:
    """The cost of sending the counted rows, in the mode they are billed in (``batch``: as a
    Batch Processing job, no less than its minimum; else the planner's: ``classify`` for
    classifications); ``replies`` False: classifications, which have no output tokens."""
    session = plans.session
    output = guess_output(session.accounts, MAP_ROWS, plans.options.max_tokens) if replies else NO_OUTPUT
    found = estimate(session.accounts.prices, plans.options.model, BATCH if batch else plans.mode,
                     requests=counted.rows, input_tokens=counted.total, output=output)
    return JobEstimate(**vars(found)) if batch else found


def refuse_minimum(cost: Estimate, cap: Decimal, what: str) -> None:
    """CostOverCap when a job's minimum bill alone is over ``cap``: the advice of refuse_over
    (fewer rows, a lower --max-tokens) would not lower it, so this says what would."""
    if not isinstance(cost, JobEstimate) or not cost.floored or (cost.cost or 0) <= cap:
        return
    cheaper = f", use a model cheaper in batch (--model {cost.cheaper})" if cost.cheaper else ""
    raise CostOverCap(
        f"{what}: {cost.sentence()} That is over the cap of {cap:f} ₽ (--max-cost or "
        f"YGptMagics.max_cost_per_cell), so nothing was sent. Fewer rows or a lower --max-tokens "
        f"do not lower a job's minimum: raise the cap (--max-cost {above(cost.cost or Decimal(0))})"
        f"{cheaper}, or drop --batch to send the rows one by one, each billed by its own tokens.")


def capped(plans: RowPlanner, pending: Sequence[int], prompt_of: Callable[[int], RowText], client: Tokenizes,
           cap: Decimal | None, *, batch: bool = False, replies: bool = True) -> Budget | None:
    """The budget of a run that sends the rows at ``pending`` (their templates as ``prompt_of``
    filled them in) under ``cap`` (None: no cap); CostOverCap, before anything is sent, when
    their estimate is over it."""
    if cap is None or not pending:
        return None
    with before_sending(f"the cost of the rows of {plans.rows.name} was being estimated for --max-cost"):
        counted = count_rows(plans, pending, client, prompt_of, replies=replies)
    cost = rows_estimate(plans, counted, batch=batch, replies=replies)
    what = f"--map {plans.rows.name}" + (" --batch" if batch else "")
    refuse_minimum(cost, cap, what)
    refuse_over(cost, cap, what)
    return Budget(cap, cost.per_request())
