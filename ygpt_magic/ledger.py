"""The ledger: every answer the kernel gets is entered by one rule, whichever door asked for it.

A cell and each round of its tool exchange, a panel Send, a ``--map`` row, a classification, an
embedding: each answer is either replayed from the reply cache (when one is on) and counted as
replayed, or sent, counted as paid (every answer the server gave cost its tokens, even one a
schema then refuses) and kept in the cache. A ``--batch`` row is kept, not counted: the job
reports no tokens per row, and a row of zero tokens would read as free in ``%ygpt usage``.

A door binds a :class:`Ledger` to where its requests are entered in ``%ygpt usage`` and how they
are billed, then asks it before sending and tells it what was sent; what it sends is its own (a
stream, a concurrent job, a batch job).

Before, each door spelled the rule out itself, five copies that differed in order and in which
checks of ``cache is None`` they made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from .cache.replies import RecordedVector
from .chat import Answer, Message, RequestOptions, Usage
from .chat.accounts import Accounts


class Cache(Protocol):
    """What the ledger needs from a reply cache (``cache.Front``): each request's recorded
    answer or vector (None: send it), and each sent one kept; ``write_stopped``: Ctrl-C came
    while it kept one (its write waits while another kernel writes the same file); ``mode``:
    one of cache.MODES."""

    write_stopped: bool

    @property
    def mode(self) -> str: ...

    def replayed_answer(self, messages: Sequence[Message], options: RequestOptions,
                        extras: Mapping[str, Any] | None = None) -> Answer | None: ...
    def recorded_answer(self, messages: Sequence[Message], options: RequestOptions,
                        extras: Mapping[str, Any] | None, answer: Answer) -> None: ...
    def replayed_vector(self, text: str, model: str) -> RecordedVector | None: ...
    def holds_vector(self, text: str, model: str) -> bool: ...
    def recorded_vector(self, text: str, model: str, vector: RecordedVector) -> None: ...


@dataclass(frozen=True)
class Ledger:
    """One door's entries: ``source`` is where ``%ygpt usage`` counts them (a chat's name,
    ``accounts.PROMPT_MODE``, ``MAP_ROWS``, ...), ``mode`` how the price list bills them (``sync``,
    ``async``, ``classify``); ``cache`` the cell's reply cache (None: off)."""

    accounts: Accounts
    source: str
    mode: str = "sync"
    cache: Cache | None = None

    def replayed(self, messages: Sequence[Message], options: RequestOptions,
                 extras: Mapping[str, Any] | None = None) -> Answer | None:
        """The recorded answer to this request, counted as replayed (None: send it)."""
        found = self.cache.replayed_answer(messages, options, extras) if self.cache is not None else None
        if found is not None:
            self.accounts.add(self.source, options.model, found.usage, mode=self.mode, replayed=True)
        return found

    def paid(self, model: str, usage: Usage) -> Decimal | None:
        """A sent request's tokens counted; its estimated roubles (None: no price)."""
        return self.accounts.add(self.source, model, usage, mode=self.mode)

    def kept(self, messages: Sequence[Message], options: RequestOptions,
             extras: Mapping[str, Any] | None, answer: Answer) -> None:
        """A sent request's complete answer kept in the cache, when one is on."""
        if self.cache is not None:
            self.cache.recorded_answer(messages, options, extras, answer)

    def stopped(self, model: str, last: Answer | None) -> None:
        """A sent request stopped before its answer was complete (Ctrl-C, the panel's Stop),
        paid for the tokens its ``last`` chunk reported (the prompt read, the answer generated
        so far), when it reported any; nothing is kept in the cache."""
        if last is not None and (last.usage.input_tokens or last.usage.completion_tokens):
            self.accounts.add(self.source, model, last.usage, mode=self.mode, stopped=True)

    def sent(self, messages: Sequence[Message], options: RequestOptions,
             extras: Mapping[str, Any] | None, answer: Answer) -> None:
        """A sent request's answer paid for, then kept: a Ctrl-C while the cache's write waits
        (:attr:`write_stopped`) leaves it counted, since it was billed."""
        self.paid(options.model, answer.usage)
        self.kept(messages, options, extras, answer)

    @property
    def write_stopped(self) -> bool:
        """Whether Ctrl-C stopped the cache while it kept an answer (which the cache then lacks)."""
        return self.cache is not None and self.cache.write_stopped

    def cost(self, usage: Usage, model: str) -> Decimal | None:
        """The estimated roubles of ``usage`` (a whole exchange's, for its footer)."""
        return self.accounts.prices.cost(usage, model, self.mode)

    def replayed_vector(self, text: str, model: str) -> RecordedVector | None:
        """The recorded vector of ``text`` by ``model``, counted as replayed (None: send it)."""
        found = self.cache.replayed_vector(text, model) if self.cache is not None else None
        if found is not None:
            self.accounts.add(self.source, model, Usage.read_only(found.tokens), mode=self.mode, replayed=True)
        return found

    def holds_vector(self, text: str, model: str) -> bool:
        """Whether the cache would replay ``text``'s vector by ``model``, asked without
        replaying or counting it (a dry run and a cost cap price only what will be sent)."""
        return self.cache is not None and self.cache.holds_vector(text, model)

    def kept_vector(self, text: str, model: str, vector: RecordedVector) -> None:
        """A sent text's vector kept in the cache, when one is on."""
        if self.cache is not None:
            self.cache.recorded_vector(text, model, vector)


def unkept_note(kept_in: str) -> str:
    """The note above a whole answer whose write to the cache Ctrl-C stopped; ``kept_in``: where
    the answer is kept all the same (the chat, or _ygpt for --once)."""
    return (f"⏹ Ctrl-C came while the reply cache was recording this answer (it waits while another "
            f"kernel writes to the same file): the answer arrived whole, {kept_in} and is counted in "
            f"%ygpt usage, but the cache did not record it, so running this cell again sends it again.")
