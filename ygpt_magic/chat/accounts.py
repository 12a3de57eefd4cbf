"""The kernel's accounts: the tokens of every request it made, by where it came from and by model.

A chat's turns tell what its history holds, not what the kernel spent: a re-run cell drops a turn
that was paid for, and prompt-mode cells, ``%ygpt fix``, every ``--map`` row and every round of a
tool exchange keep no turn at all. So each request that gets an answer is entered here once, when
the answer arrives, with the tokens the server reported; an answer replayed from the reply cache
cost nothing and is kept apart. ``%ygpt usage`` reads it. Entries are summed as they come (a
``--map`` of 50,000 rows adds 50,000 entries), under a lock: a panel's thread adds too.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from .values import Usage, short_model

#: where a request that belongs to no chat comes from
PROMPT_MODE = "prompt mode (--once, %ygpt fix)"
MAP_ROWS = "--map rows"


@dataclass(frozen=True)
class Spent:
    """What one group of requests cost: requests and tokens sent, and tokens replayed."""

    requests: int = 0
    usage: Usage = Usage()
    replayed: Usage = Usage()

    def plus(self, usage: Usage, replayed: bool) -> Spent:
        if replayed:
            return Spent(self.requests, self.usage, self.replayed + usage)
        return Spent(self.requests + 1, self.usage + usage, self.replayed)


class Accounts:
    """Tokens by where requests came from (a chat's name, :data:`PROMPT_MODE`, :data:`MAP_ROWS`)
    and by model, since the kernel started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_source: dict[str, Spent] = {}
        self._by_model: dict[str, Spent] = {}

    def add(self, source: str, model: str, usage: Usage, *, replayed: bool = False) -> None:
        """One answered request (``replayed``: from the reply cache, so not billed); a model is
        kept by its short name (a gpt:// URI's folder is noise)."""
        model = short_model(model)
        with self._lock:
            self._by_source[source] = self._by_source.get(source, Spent()).plus(usage, replayed)
            self._by_model[model] = self._by_model.get(model, Spent()).plus(usage, replayed)

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
            spent = list(self._by_source.values())
        return Spent(sum(s.requests for s in spent), sum((s.usage for s in spent), Usage()),
                     sum((s.replayed for s in spent), Usage()))
