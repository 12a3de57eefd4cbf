"""A cost cap (``--max-cost RUB``, ``YGptMagics.max_cost_per_cell``): refused before sending when
the estimate is over it, and, while rows run, a budget that stops launching requests.

Why a running budget as well as the check before: an estimate guesses the replies' length, and a
run whose replies come out longer than guessed would otherwise pass its cap unnoticed. The row
runners ask :meth:`Budget.should_continue` before each request they launch: it says no once what
this run has spent (the roubles of its answers) plus what is in flight (each at the cost of an
average answer so far, or the estimate's before any) plus the next one would pass the cap.

A request is settled the moment it ends, on the thread that launches the next (the client's
loop: :meth:`Budget.settler`, given to the job of ``--map`` rows and of ``%ygpt embed``'s texts
as its ``on_result``), not when a slower thread reads its answer: a
fast server answers a whole run in that time, and its ended requests, counted in flight at a
low guess, let every row through. So the guarantee holds at any server speed: what the run
spends passes the cap by at most what the requests in flight at the last launch cost above
their reserved share (the estimate, or the average answer once there is one), never by a
request launched after; in-flight requests still finish and every answer is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from ..errors import CostOverCap, Origin
from ..words import counted
from .estimate import Estimate
from .prices import roubles

#: the setting every door's cap falls back to (a cell's --max-cost wins over it)
SETTING = "YGptMagics.max_cost_per_cell"
#: what one request of a many-request job answers (a completion, a vector)
Outcome = TypeVar("Outcome")
#: what a request the job sends stands for (a row, a text)
Item = TypeVar("Item")
#: a many-request job's result (client/many.Result, which chat/ cannot import): (tag, answer,
#: None) or (tag, None, error); the tag is the caller's and None when the job failed as a whole
Ended = tuple[object, Outcome | None, BaseException | None]


def refuse_over(estimate: Estimate, cap: Decimal | None, what: str, spent: Decimal = Decimal(0), *,
                also: Estimate | None = None, shorten: str | None = None) -> None:
    """CostOverCap when ``estimate`` is over ``cap`` (or cannot be made under a cap); ``what``
    names the run (``--map reviews``). ``spent``: what the cell already paid before this request
    (a ``--docs`` cell's embeddings), counted against the same cap. ``also``: the same run's
    requests to another model (``%ygpt similar``'s TEXT, sent to the query model), each priced
    at its own model's price and counted together. The advice is worded per door
    (errors/origin.py): a cell raises the cap with ``--max-cost``, a panel Send and
    ``%ygpt fix``, which take no flag, with the setting; ``shorten``: how to make one request
    shorter where the door's words do not fit it (``shorten TEXT``)."""
    estimates = [found for found in (estimate, also) if found is not None and found.requests]
    if cap is None or not estimates:
        return
    unpriced = next((found for found in estimates if found.cost is None), None)
    if unpriced is not None:
        raise CostOverCap(lambda origin: (
            f"{what}: the cost cap of {cap:f} ₽ cannot be checked, so {_unsent(spent)} "
            f"{unpriced.sentence()} Or {_dropped(origin)}."))
    total = sum((found.cost or Decimal(0) for found in estimates), spent)
    if total > cap:
        said = " ".join(found.sentence() for found in estimates)
        raise CostOverCap(lambda origin: (
            f"{what}: {said} {_with(spent, len(estimates))}over the cap of {cap:f} ₽ "
            f"({origin.flag('--max-cost or ')}{SETTING}), so {_unsent(spent)} To go ahead, raise the cap "
            f"({_raised(origin, total)}){_smaller(estimates[0], origin, shorten)}."))


def _dropped(origin: Origin) -> str:
    """How to run without a cap where the user is."""
    return origin.flag(f"drop --max-cost (and {SETTING})", f"unset the cap: %config {SETTING} = None")


def _raised(origin: Origin, cost: Decimal) -> str:
    """How to raise the cap over ``cost`` where the user is."""
    return origin.flag(f"--max-cost {above(cost)}", f"%config {SETTING} = {above(cost)}")


def _with(spent: Decimal, estimates: int) -> str:
    if not spent:
        return "That is " if estimates == 1 else "Together that is "
    return f"With the {roubles(spent)} this cell already spent on embeddings to choose its sources, that is "


def _unsent(spent: Decimal) -> str:
    """What was not sent: nothing, or only the request when embeddings were paid for."""
    if not spent:
        return "nothing was sent."
    return ("the request was not sent (the embeddings are kept: running the cell again does not "
            "pay for them twice).")


def _smaller(estimate: Estimate, origin: Origin, shorten: str | None = None) -> str:
    """How else to make the run cost less, after raising its cap: fewer requests, a shorter one
    (``shorten``, else the door's way), a cheaper model; "" when there is no other way where the
    user is."""
    how = (f"send fewer ({counted(estimate.requests, 'request')} now)" if estimate.requests > 1
           else shorten or origin.shorten)
    if how is None:   # %ygpt fix: a cheaper model is all that is left
        return "" if estimate.cheaper is None else f", or {origin.model(estimate.cheaper)}"
    if not estimate.output.tokens:   # embeddings, classifications: their model is the task's
        return f", {how}"
    if not origin.flags:
        return f", {how}" if estimate.cheaper is None else f", {how}, or {origin.model(estimate.cheaper)}"
    if estimate.cheaper is None:
        return f", {how} or give a lower --max-tokens"
    return (f", {how}, give a lower --max-tokens, or use a cheaper model (--model {estimate.cheaper}; "
            f"%ygpt models lists them)")


def above(cost: Decimal) -> str:
    """A round cap a little over ``cost``: what to type to let the run go."""
    step = Decimal(1) if cost >= 1 else Decimal("0.01")
    return str((cost * Decimal("1.2") / step).to_integral_value(rounding="ROUND_CEILING") * step)


@dataclass
class _Ledger:
    spent: Decimal = Decimal(0)
    answered: int = 0
    in_flight: int = 0
    stopped: bool = False


class Budget:
    """What one run may still spend (thread-safe: whoever launches the requests asks, whoever
    sees them end settles). ``per_request``: the estimated cost of one request before any is
    answered."""

    def __init__(self, cap: Decimal, per_request: Decimal) -> None:
        self.cap = cap
        self._estimate = per_request
        self._lock = threading.Lock()
        self._ledger = _Ledger()

    def should_continue(self) -> bool:
        """Whether one more request may be launched; a yes reserves its cost until it settles."""
        with self._lock:
            ledger = self._ledger
            if ledger.stopped:
                return False
            next_one = self._per_request()
            if ledger.spent + next_one * (ledger.in_flight + 1) > self.cap:
                ledger.stopped = True
                return False
            ledger.in_flight += 1
            return True

    def settle(self, cost: Decimal | None) -> None:
        """A launched request ended: answered at ``cost`` (the accounts' roubles), or failed
        (None: nothing billed)."""
        with self._lock:
            ledger = self._ledger
            ledger.in_flight = max(0, ledger.in_flight - 1)
            if cost is not None:
                ledger.spent += cost
                ledger.answered += 1

    def gate(self, items: Iterable[Item]) -> Iterator[Item]:
        """``items`` as a many-request job pulls them (one when a slot is free), until
        :meth:`should_continue` says no: each one let through reserves its cost."""
        for item in items:
            if not self.should_continue():
                return
            yield item

    def settler(self, priced: Callable[[Outcome], Decimal | None]) -> Callable[[Ended[Outcome]], None]:
        """What settles each request of a many-request job (client/many.py's ``on_result``) as it
        ends, on the job's loop, before the next is pulled: an answer at its roubles
        (``priced``; no price: nothing), a failure at nothing. Settled instead when the
        kernel's thread reads it, a fast server's whole run would pass for requests in flight
        at the guess, and the cap would stop none of them."""
        def settle(result: Ended[Outcome]) -> None:
            tag, answer, error = result
            if tag is None:   # the job failed as a whole: no request of it was answered
                return
            self.settle(None if error is not None or answer is None else priced(answer) or Decimal(0))
        return settle

    def _per_request(self) -> Decimal:
        ledger = self._ledger
        return ledger.spent / ledger.answered if ledger.answered else self._estimate

    @property
    def stopped(self) -> bool:
        """Whether the cap stopped the run (some requests were never launched)."""
        with self._lock:
            return self._ledger.stopped

    @property
    def paid(self) -> tuple[Decimal, int]:
        """What the answers settled so far cost, and how many there were."""
        with self._lock:
            return self._ledger.spent, self._ledger.answered

    def advice(self, left: int, again: str | None = None) -> str:
        """The line that ends a run the cap stopped; ``again``: what running it again sends, where
        the cell cannot be run again (a headless run: rows/unattended.py)."""
        with self._lock:
            spent = self._ledger.spent
        again = f"With a higher --max-cost, {again}" if again else (
            "Run the cell again with a higher --max-cost to send only those; the answered rows are kept "
            "and reused.")
        return (f"Stopped at the cost cap: spent {roubles(spent)} of {self.cap:f} ₽, "
                f"{counted(left, 'row')} left. {again}")
