"""What the rows of a ``--map`` / ``--batch`` cell will cost: their prompts' tokens counted by
the tokenizer API (every row when there are few, else a sample, the others scaled by their
length: rows/scaled.py), their replies' tokens guessed (chat/estimate.py), priced in the run's
mode. A Batch Processing job is billed at least
:data:`~ygpt_magic.chat.prices.BATCH_MINIMUM_TOKENS`, so its estimate is never less than that
(:class:`JobEstimate`): a few rows' tokens would make a 40 ₽ job look like 0.19 ₽.

Used by ``--dry-run`` (every row), by a cost cap before a run (the rows it would send:
:func:`capped` refuses the run or gives it its running budget) and by every ``--batch`` start,
whose line says what the job will cost (:func:`estimated`) and whose advice to send the rows
it failed says what that costs again (:func:`resent`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
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
    at once (rows/scaled.py), each row's template as ``prompt_of`` filled it in and read as the
    model reads it (``RowPlanner.read``: a classification's task and labels too), plus what the
    tokenizer cannot be shown (``RowPlanner.unshown_tokens``: a classifier's own instructions);
    the other rows scaled by their filled-in length. ``replies`` False: classifications, whose
    extras the tokenizer does not take (their labels and task are counted among the messages)."""
    extras = plans.extras if replies else {}

    def tokens(at: Sequence[int]) -> list[int]:
        requests = [plans.read(prompt_of(positions[a])) for a in at]
        found = client.count_tokens_each(requests, plans.counted_by, **extras)
        return [count + plans.unshown_tokens for count in found]

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


def estimated(plans: RowPlanner, pending: Sequence[int], prompt_of: Callable[[int], RowText], client: Tokenizes,
              *, purpose: str, batch: bool = False, replies: bool = True) -> tuple[Scaled, Estimate]:
    """The counted tokens of the rows at ``pending`` (their templates as ``prompt_of`` filled
    them in, in that order) and what sending them costs; a Ctrl-C while they are counted says
    nothing was sent, and what for (``purpose``)."""
    with before_sending(f"the cost of the rows of {plans.rows.name} was being estimated for {purpose}"):
        counted = count_rows(plans, pending, client, prompt_of, replies=replies)
    return counted, rows_estimate(plans, counted, batch=batch, replies=replies)


def budget_of(cost: Estimate, cap: Decimal | None, what: str) -> Budget | None:
    """The running budget of a run estimated at ``cost`` under ``cap`` (None: no cap); CostOverCap,
    before anything is sent, when the estimate is over it."""
    if cap is None:
        return None
    refuse_minimum(cost, cap, what)
    refuse_over(cost, cap, what)
    return Budget(cap, cost.per_request())


def capped(plans: RowPlanner, pending: Sequence[int], prompt_of: Callable[[int], RowText], client: Tokenizes,
           cap: Decimal | None, *, replies: bool = True) -> Budget | None:
    """The budget of a run that sends the rows at ``pending`` (their templates as ``prompt_of``
    filled them in) under ``cap`` (None: no cap, and nothing is estimated); CostOverCap, before
    anything is sent, when their estimate is over it."""
    if cap is None or not pending:
        return None
    _, cost = estimated(plans, pending, prompt_of, client, purpose="--max-cost", replies=replies)
    return budget_of(cost, cap, f"--map {plans.rows.name}")


def resent(plans: RowPlanner, counted: Scaled, offsets: Collection[int]) -> str:
    """What sending again the rows of a job at ``offsets`` (of those ``counted`` at its start:
    rows the job failed) costs, when a new job for them is billed its minimum ('' when not, or
    none failed): a re-run of the cell starts one for those few rows, about 40 ₽ where their
    own tokens cost kopecks, which the advice to run the cell again never said; sent without
    --batch they are billed by their own tokens."""
    if not offsets:
        return ""
    rows = replace(counted, left_out=frozenset(range(len(counted.lengths))) - frozenset(offsets))
    job = rows_estimate(plans, rows, batch=True)
    if not isinstance(job, JobEstimate) or not job.floored or job.cost is None:
        return ""
    alone = rows_estimate(plans, rows)
    billed = (f"they would cost about {roubles(alone.cost)}" if alone.cost is not None else
              f"they are billed by their own tokens, about {alone.input_tokens + alone.output_tokens:,} (the "
              f"price table has no {alone.mode} price for {alone.model})")
    return (f"Run again with --batch, {'that row is' if len(offsets) == 1 else 'those rows are'} a new job, "
            f"billed at least {BATCH_MINIMUM_TOKENS:,} tokens again ({roubles(job.cost)}); sent without "
            f"--batch (the answered rows are reused) {billed}.")
