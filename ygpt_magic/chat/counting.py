"""Counting a request's turns with the tokenizer API, for the trim to the context budget.

planning.fit asks this only when a request's byte bound (planning.upper_bound_tokens) exceeds the
budget; a plain cell of a short chat never comes here. Turns are counted newest first and the count
stops at the first turn that does not fit, so the turns left out are never counted. A count is
kept on its turn, per model (the chat file keeps it too), so each turn is counted once per model.

Turns with no count for the model (a chat loaded from a file written before counts were kept,
another ``--model``) are counted in waves of :data:`COUNT_AT_ONCE`, each one round trip: 98 turns
asked one after another were 11 s at the cloud's pace. Even so a long loaded chat takes several
round trips before its request is sent, so the cell is told (:class:`Waiting`) and shows a waiting
line that says why.

A kept count is used only if the turn's text allows it (:func:`believable`): a chat file's counts
may be anything (edited by hand or by someone hostile, or prompts edited after counting). A count
too small keeps every turn, the server refuses the request as too long, and no context budget
helps; a count too big leaves turns out for nothing. A count the text does not allow is counted
afresh, in the same waves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .values import Message, Turn

if TYPE_CHECKING:
    from .options import RequestOptions
    from .planning import Tokenizer

CountTokens = Callable[[list[Message]], int]
#: turns without a count that are counted at once, newest first (see :class:`Waves`). A wave is
#: one round trip whatever its size (its counts are asked together), and the trim stops at the
#: first turn that does not fit, so a wave can count up to this many minus one turns that are
#: then left out: 16 keeps that waste to 15 tokenizer requests a cell, while the 98 turns that
#: took 11 s one by one take 7 round trips (under a second at the cloud's 100 ms)
COUNT_AT_ONCE = 16
#: the most UTF-8 bytes one token holds in the catalogue's tokenizers, so a turn of N bytes is at
#: least N / this many tokens: the longest piece of Qwen3's byte-level BPE (151,643 pieces) is 128
#: spaces; a SentencePiece piece (YandexGPT's tokenizer) is at most 16 characters, 64 bytes
MOST_BYTES_PER_TOKEN = 128


class Tokenizes(Protocol):
    """What a tokenizer needs of a client (``client.Client``, or the reply cache's)."""

    def count_tokens(self, messages: list[Message], options: RequestOptions) -> int: ...

    def count_tokens_each(self, requests: Sequence[list[Message]], options: RequestOptions,
                          slow: Callable[[], None] | None = None, **extras: Any) -> list[int]: ...


class Waiting(Protocol):
    """The cell's waiting line while turns are counted at once (request.py makes it): told of each
    wave before it is asked, and when one round trip is slow, it decides when to show itself."""

    def counting(self, turns: int) -> None: ...

    def slow(self) -> None: ...


def count_back(history: Sequence[Turn], model: str, fixed: int, budget: int, count_tokens: CountTokens,
               tokenizer: Tokenizer | None) -> tuple[int, int]:
    """How many oldest turns of ``history`` to leave out so that they and ``fixed`` tokens (the
    prompt, the system message) fit ``budget``, and the size of what is sent. Counts newest turns
    first with ``count_tokens`` and stops at the first that does not fit; turns ``model`` has no
    count for are asked in waves when ``count_tokens`` is the ``tokenizer`` API."""
    waves, total = None if tokenizer is None else Waves(tokenizer), fixed
    for index in range(len(history) - 1, -1, -1):
        turn = history[index]
        if not believable(turn, model):
            if waves is not None:
                waves.count(history, index, model)
            else:
                turn.keep_counts({model: count_tokens(list(turn.messages()))})
        size = turn.tokens(model, count_tokens)
        if total + size > budget:
            return index + 1, total
        total += size
    return 0, total


def believable(turn: Turn, model: str) -> bool:
    """Whether ``turn`` keeps a count for ``model`` that its text allows: at least a token per
    :data:`MOST_BYTES_PER_TOKEN` bytes, at most the no-tokenizer bound of planning for the turn
    sent alone (a count is of the turn as a request of its own). A tokenizer's own counts fall
    within, but for the local server's of a turn of long runs of spaces (a run is one token
    there): such a turn is counted again whenever the trim reaches it."""
    from .planning import upper_bound_tokens  # planning imports this module: not at the top

    size = turn.token_counts.get(model)
    return size is not None and turn.utf8_size // MOST_BYTES_PER_TOKEN <= size <= upper_bound_tokens(
        None, (turn,), "")


class Waves:
    """The turns of one request counted at once, a wave at a time, and the waiting line told of
    each (made at the first wave: a request that counts nothing at once shows none)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.waiting: Waiting | None = None

    def count(self, history: Sequence[Turn], index: int, model: str) -> None:
        """Count, in one go, those of the :data:`COUNT_AT_ONCE` turns from ``index`` back that
        ``model`` has no believable count for: one round trip, not one a turn, and fewer than that
        many turns counted beyond where the trim stops (in a chat counted before, only the turns
        added since)."""
        window = (history[i] for i in range(index, max(index - COUNT_AT_ONCE, -1), -1))
        wave = [turn for turn in window if not believable(turn, model)]
        make = self.tokenizer.waiting
        if self.waiting is None and make is not None:
            self.waiting = make(model)
        if self.waiting is not None:
            self.waiting.counting(len(wave))
        slow = None if self.waiting is None else self.waiting.slow
        for turn, size in zip(wave, self.tokenizer.each([list(turn.messages()) for turn in wave], slow)):
            turn.keep_counts({model: size})


class SystemCounts:
    """The token count of each system message for a model, counted once per session: a chat's
    system message is sent with every request, so the trim asks for it often."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def count(self, model: str, system: str, count: Callable[[str], int]) -> int:
        """``system``'s tokens for ``model``: the count kept, else ``count(system)``, then kept."""
        key = (model, system)
        with self._lock:
            known = self._counts.get(key)
        if known is None:
            known = count(system)
            with self._lock:
                self._counts[key] = known
        return known

    def clear(self) -> None:
        """Forget every count (the chats were replaced: their system messages may be new)."""
        with self._lock:
            self._counts.clear()
