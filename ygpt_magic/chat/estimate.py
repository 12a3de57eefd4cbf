"""What a run will cost before it runs: input tokens (counted by the tokenizer) plus output
tokens (guessed, and the output says how), times the price of the model in its mode.

Pure arithmetic over numbers the caller brings: the tokenizer's counts come from the client, the
earlier completions from the kernel's accounts (chat/accounts.py), the prices from the table
(chat/prices.py). An output guess is, in order: the average completion of the earlier requests of
the same kind (the chat's, the ``--map`` rows'), else the request's ``max_tokens`` (an upper
bound), else :data:`DEFAULT_OUTPUT`. Embeddings and classifications have no output.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import OptionError
from ..modelname import model_name
from ..words import counted
from .accounts import Accounts
from .catalog import NAMES
from .prices import PriceTable, roubles

#: completion tokens a reply is guessed to take when nothing better is known
DEFAULT_OUTPUT = 300
#: ``--batch`` runs as a Batch Processing job, ``--deferred`` as an operation: priced apart
BATCH, ASYNC, SYNC = "batch", "async", "sync"


@dataclass(frozen=True)
class Output:
    """Completion tokens guessed for each request, and how the guess was made."""

    tokens: int
    how: str


NO_OUTPUT = Output(0, "")


def guess_output(accounts: Accounts, source: str, max_tokens: int | None) -> Output:
    """The completion tokens one request of ``source`` is expected to take (module docstring)."""
    earlier = accounts.by_source.get(source)
    if earlier is not None and earlier.requests:
        average = round(earlier.usage.completion_tokens / earlier.requests)
        return Output(average, f"the average completion of the {counted(earlier.requests, 'earlier request')} "
                               f"of {source}")
    if max_tokens:
        return Output(max_tokens, "--max-tokens, the most a reply may take")
    return Output(DEFAULT_OUTPUT, f"a guess of {DEFAULT_OUTPUT} a reply: nothing was answered yet to "
                                  f"average, and no --max-tokens")


@dataclass(frozen=True)
class Estimate:
    """The cost of ``requests`` requests to ``model`` in ``mode``: ``input_tokens`` in all, and
    ``output`` per request; ``model`` is named as ``%ygpt usage`` counts it and a price is set for
    it (``ModelName.priced``: ``llama``, not ``gpt://<folder>/llama/latest``, whose folder id a
    refusal would show and its advice ask to be typed into a setting); ``price``: roubles per
    1,000 tokens, None when the table has none;
    ``cheaper``: the catalogue's cheapest model the table prices below it in that mode (None:
    none is), what a refusal over a cap offers."""

    requests: int
    input_tokens: int
    output: Output
    model: str
    mode: str
    price: Decimal | None
    cheaper: str | None = None

    @property
    def output_tokens(self) -> int:
        return self.output.tokens * self.requests

    @property
    def cost(self) -> Decimal | None:
        if self.price is None:
            return None
        return self.price * (self.input_tokens + self.output_tokens) / 1000

    def per_request(self) -> Decimal:
        """The cost of one request on average (0 when unpriced or there are none)."""
        cost = self.cost
        return cost / self.requests if cost is not None and self.requests else Decimal(0)

    def sentence(self) -> str:
        """``Estimated cost ≈1.20 ₽: 1,000 input tokens + about 500 output tokens (how) at
        1.2 ₽ per 1,000 (yandexgpt, sync).``; or why there is none."""
        where = f"{self.model}, {self.mode}"
        if self.price is None:
            return (f"No cost estimate: the price table has no price for {where}; set one with "
                    f"%config YGptMagics.prices = {{\"{self.model}\": {{\"{self.mode}\": 1.2}}}} (roubles per "
                    f"1,000 tokens; naming the mode leaves the model's other prices as they are).")
        tokens = f"{self.input_tokens:,} input {_tokens(self.input_tokens)}"
        if self.output.tokens:
            tokens += (f" + about {self.output_tokens:,} output {_tokens(self.output_tokens)} "
                       f"({self.output.how})")
        return (f"Estimated cost {roubles(self.cost or Decimal(0))}: {tokens}, at {self.price} ₽ "
                f"per 1,000 tokens ({where}).")


def _tokens(count: int) -> str:
    return "token" if count == 1 else "tokens"


def estimate(prices: PriceTable, model: str, mode: str, *, requests: int, input_tokens: int,
             output: Output = NO_OUTPUT) -> Estimate:
    """The estimate of ``requests`` requests whose prompts hold ``input_tokens`` in all."""
    price = prices.price(model, mode)
    return Estimate(requests, input_tokens, output, model_name(model).priced, mode, price,
                    _cheaper(prices, mode, price))


def _cheaper(prices: PriceTable, mode: str, price: Decimal | None) -> str | None:
    """The cheapest catalogued chat model priced below ``price`` in ``mode``: a batch run is
    offered a model that runs in batch, and the cheapest model is offered none."""
    if price is None:
        return None
    below = [(found, name) for name in NAMES if "/" not in name
             if (found := prices.price(name, mode)) is not None and found < price]
    return min(below)[1] if below else None


#: what a cost cap must be, as its refusal says it
CAP_RULE = "must be the most a run may cost, in roubles: a number > 0 such as 50 or 0.5"


def cap_of(value: Any, where: str) -> Decimal | None:
    """A cost cap in roubles as ``--max-cost`` or ``YGptMagics.max_cost_per_cell`` holds it
    (None: no cap); OptionError unless it is a finite number > 0."""
    if value is None:
        return None
    try:
        number = Decimal("NaN") if isinstance(value, bool) else Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number <= 0:
        raise OptionError(f"{where} {CAP_RULE} (got {value!r}); --dry-run shows what a run would cost.")
    return number
