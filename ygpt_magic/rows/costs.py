"""What the rows of a ``--map`` / ``--batch`` cell will cost: their prompts' tokens counted by
the tokenizer API (every row when there are few, else an even sample, extrapolated), their
replies' tokens guessed (chat/estimate.py), priced in the run's mode.

Used by ``--dry-run`` (every row) and by a cost cap before a run (the rows it would send:
:func:`capped` refuses the run or gives it its running budget).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..chat.accounts import MAP_ROWS
from ..chat.budget import Budget, refuse_over
from ..chat.estimate import BATCH, NO_OUTPUT, Estimate, estimate, guess_output
from .plans import RowPlanner, RowText, before_sending

#: rows counted at most; more rows are estimated from an even sample of this many
SAMPLE = 20


def sample_positions(count: int, size: int = SAMPLE) -> list[int]:
    """Every row when there are at most ``size``, else ``size`` spread evenly over them."""
    if count <= size:
        return list(range(count))
    return sorted({round(i * (count - 1) / (size - 1)) for i in range(size)})


@dataclass(frozen=True)
class Counted:
    """Tokens of ``rows`` prompts: ``counts`` of the sampled ones, extrapolated to ``total``."""

    rows: int
    counts: tuple[int, ...]

    @property
    def exact(self) -> bool:
        return len(self.counts) == self.rows

    @property
    def average(self) -> float:
        return sum(self.counts) / len(self.counts) if self.counts else 0.0

    @property
    def total(self) -> int:
        return sum(self.counts) if self.exact else round(self.average * self.rows)


def count_rows(plans: RowPlanner, positions: Sequence[int], client: Any, prompt_of: Callable[[int], RowText], *,
               replies: bool = True) -> Counted:
    """The prompt tokens of the rows at ``positions`` (a sample of them asked of the tokenizer),
    each row's template as ``prompt_of`` filled it in and read as the model reads it
    (``RowPlanner.read``: a classification's task and labels too), plus what the tokenizer
    cannot be shown (``RowPlanner.unshown_tokens``: a classifier's own instructions); ``replies``
    False: classifications, whose extras the tokenizer does not take (their labels and task are
    counted among the messages)."""
    sample = [positions[p] for p in sample_positions(len(positions))]
    extras = plans.extras if replies else {}
    return Counted(len(positions), tuple(
        client.count_tokens(plans.read(prompt_of(p)), plans.counted_by, **extras) + plans.unshown_tokens
        for p in sample))


def rows_estimate(plans: RowPlanner, counted: Counted, *, batch: bool = False,
                  replies: bool = True) -> Estimate:
    """The cost of sending the counted rows, in the mode they are billed in (``batch``: as a
    Batch Processing job; else the planner's: ``classify`` for classifications); ``replies``
    False: classifications, which have no output tokens."""
    session = plans.session
    output = guess_output(session.accounts, MAP_ROWS, plans.options.max_tokens) if replies else NO_OUTPUT
    return estimate(session.accounts.prices, plans.options.model, BATCH if batch else plans.mode,
                    requests=counted.rows, input_tokens=counted.total, output=output)


def capped(plans: RowPlanner, pending: Sequence[int], prompt_of: Callable[[int], RowText], client: Any,
           cap: Decimal | None, *, batch: bool = False, replies: bool = True) -> Budget | None:
    """The budget of a run that sends the rows at ``pending`` (their templates as ``prompt_of``
    filled them in) under ``cap`` (None: no cap); CostOverCap, before anything is sent, when
    their estimate is over it."""
    if cap is None or not pending:
        return None
    with before_sending(f"the cost of the rows of {plans.rows.name} was being estimated for --max-cost"):
        counted = count_rows(plans, pending, client, prompt_of, replies=replies)
    cost = rows_estimate(plans, counted, batch=batch, replies=replies)
    refuse_over(cost, cap, f"--map {plans.rows.name}" + (" --batch" if batch else ""))
    return Budget(cap, cost.per_request())
