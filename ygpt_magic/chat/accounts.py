"""The kernel's accounts: the tokens of every request it made, by where it came from and by model.

A chat's turns tell what its history holds, not what the kernel spent: a re-run cell drops a turn
that was paid for, and prompt-mode cells, ``%ygpt fix``, every ``--map`` row and every round of a
tool exchange keep no turn at all. So each request that gets an answer is entered here once, when
the answer arrives, with the tokens the server reported; an answer replayed from the reply cache
cost nothing and is kept apart. Each entry carries its mode (``sync``, ``async``, ``batch``), and
its roubles are estimated when it arrives, from the price table then in force (chat/prices.py):
an answer replayed is what the cache saved. A streamed request stopped before its answer was
complete (Ctrl-C, the panel's Stop) is entered too, with the tokens the server had reported by
then: its prompt was read and part of its answer generated, so leaving it out undercounted the bill
(it is counted apart as well, for ``%ygpt usage`` to say so). ``%ygpt usage`` reads it. Entries
are summed as they come (a ``--map`` of 50,000 rows adds 50,000 entries), under a lock: a panel's
thread adds too.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..modelname import model_name
from .prices import PriceTable, builtin, roubles
from .values import Usage

#: where a request that belongs to no chat comes from
PROMPT_MODE = "prompt mode (--once, %ygpt fix)"
MAP_ROWS = "--map rows"
#: classifications, a cell's or a --map row's: apart, so a chat's or the rows' averages are of replies
CLASSIFICATIONS = "classifications"
#: embeddings: ``%ygpt embed`` / ``similar``, and a ``--docs`` cell's files and question
EMBEDDINGS = "embeddings"


@dataclass(frozen=True)
class Roubles:
    """The estimated roubles of some requests, and how many of them had no price (their model
    is not in the table), so a sum is never passed off as complete."""

    amount: Decimal = Decimal(0)
    unpriced: int = 0

    def __str__(self) -> str:
        """The estimate; "no price" when nothing in it had one (never a 0 that reads as free), and
        the requests left out when only some had (``%ygpt usage``, ``%ygpt cache``)."""
        if self.unpriced and not self.amount:
            return "no price"
        return roubles(self.amount) + (f" + {self.unpriced:,} unpriced" if self.unpriced else "")

    def plus(self, cost: Decimal | None) -> Roubles:
        if cost is None:
            return Roubles(self.amount, self.unpriced + 1)
        return Roubles(self.amount + cost, self.unpriced)

    def __add__(self, other: Roubles) -> Roubles:
        return Roubles(self.amount + other.amount, self.unpriced + other.unpriced)


@dataclass(frozen=True)
class Spent:
    """What one group of requests cost: requests, tokens and roubles sent, and tokens replayed
    with the roubles they saved."""

    requests: int = 0
    usage: Usage = Usage()
    replayed: Usage = Usage()
    cost: Roubles = Roubles()
    saved: Roubles = Roubles()

    def plus(self, usage: Usage, replayed: bool, cost: Decimal | None) -> Spent:
        if replayed:
            return Spent(self.requests, self.usage, self.replayed + usage, self.cost,
                         self.saved.plus(cost))
        return Spent(self.requests + 1, self.usage + usage, self.replayed, self.cost.plus(cost),
                     self.saved)

    def __add__(self, other: Spent) -> Spent:
        return Spent(self.requests + other.requests, self.usage + other.usage,
                     self.replayed + other.replayed, self.cost + other.cost,
                     self.saved + other.saved)


class Accounts:
    """Tokens and roubles by where requests came from (a chat's name, :data:`PROMPT_MODE`,
    :data:`MAP_ROWS`) and by model, since the kernel started. ``prices``: the table costs are
    estimated with (``YGptMagics.prices`` sets it)."""

    def __init__(self, prices: PriceTable | None = None) -> None:
        self._lock = threading.Lock()
        self._by_source: dict[str, Spent] = {}
        self._by_model: dict[str, Spent] = {}
        self._stopped = Spent()
        self.prices = prices or builtin()

    def add(self, source: str, model: str, usage: Usage, *, mode: str = "sync",
            replayed: bool = False, stopped: bool = False) -> Decimal | None:
        """One answered request in ``mode`` (``replayed``: from the reply cache, so not
        billed; ``stopped``: stopped before its answer was complete, ``usage`` what the server
        had reported by then); returns its estimated roubles (None: no price). A model is kept
        by the name it is priced by (``yandexgpt``, also for ``yandexgpt/latest`` and a gpt://
        URI), with its mode when not synchronous."""
        cost = self.prices.cost(usage, model, mode)
        model = model_name(model).priced + ("" if mode == "sync" else f" ({mode})")
        with self._lock:
            self._by_source[source] = self._by_source.get(source, Spent()).plus(usage, replayed, cost)
            self._by_model[model] = self._by_model.get(model, Spent()).plus(usage, replayed, cost)
            if stopped:
                self._stopped = self._stopped.plus(usage, False, cost)
        return cost

    @property
    def stopped(self) -> Spent:
        """The requests counted that were stopped before their answer was complete."""
        with self._lock:
            return self._stopped

    @property
    def by_source(self) -> Mapping[str, Spent]:
        with self._lock:
            return dict(self._by_source)

    @property
    def by_model(self) -> Mapping[str, Spent]:
        with self._lock:
            return dict(self._by_model)

    def total(self) -> Spent:
        with self._lock:
            return sum(self._by_source.values(), Spent())
