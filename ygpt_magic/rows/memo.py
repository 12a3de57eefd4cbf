"""Rows already answered, so running a ``--map`` cell again sends only the rows still missing.

A row's answer is kept under the key of its request, the reply cache's own
(``cache.key.request_key``: the endpoint kind, the model, the options, the exact messages and the
schema when there is one), so a row and a cell that send the same request are the same entry.
Change the template, a row's value or an option and that row has no answer for its current
prompt, so it is sent; everything else is reused. Each answer is kept as the transport gave it
(``chat.Answer``, whether the client sent it or the reply cache replayed it). The memo lives as
long as the kernel (bounded: the oldest answers go first); the reply cache, when one is
configured, keeps every row as an entry of its own across kernel restarts (see run.py).
"""

from __future__ import annotations

from collections import OrderedDict

from ..chat import Answer

#: answers the memo keeps (the oldest are forgotten first)
LIMIT = 500_000


class RowMemo:
    """The kernel's answered rows, by the key of their request (``cache.key.request_key``)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._limit = limit

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: str) -> Answer | None:
        return self._answers.get(key)

    def put(self, key: str, answer: Answer) -> None:
        self._answers[key] = answer
        if len(self._answers) > self._limit:
            self._answers.popitem(last=False)

    def clear(self) -> None:
        self._answers.clear()
