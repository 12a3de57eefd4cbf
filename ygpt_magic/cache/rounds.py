"""One exchange's requests behind the reply cache: each replayed if recorded, else sent and recorded.

A tool exchange is several requests (the model calls tools, the notebook's functions run, their
results go back). Each request is an entry of its own, keyed by everything it sends so far,
calls and results included, so the functions still run on replay (they are the user's code) and
the next round hits only when they returned what they returned when it was recorded. A plain
exchange is one request, keyed as it always was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..chat import Answer, Extras, Message, RequestOptions

if TYPE_CHECKING:
    from ..chat import Ask
    from .replies import Front


class CachedAsk:
    """``ask`` behind a :class:`~.replies.Front`; ``replayed``: every request so far came from
    the cache (the reply is then ``cached``), ``recorded``: when the last replayed one was."""

    def __init__(self, front: Front, ask: Ask, options: RequestOptions) -> None:
        self._front, self._ask, self._options = front, ask, options
        self.replayed = True
        self.recorded = ""
        self._ahead: tuple[list[Message], Extras, Answer | None] | None = None

    def first(self, messages: list[Message], extras: Extras) -> None:
        """Look the exchange's first request up now, before anything is shown (so a replay-mode
        miss is refused with nothing on screen)."""
        found = self._front.replayed_answer(messages, self._options, extras)
        self._ahead = (list(messages), dict(extras), found)

    def __call__(self, messages: list[Message], extras: Extras) -> Answer:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == messages and ahead[1] == extras:
            found = ahead[2]
        else:
            found = self._front.replayed_answer(messages, self._options, extras)
        if found is not None:
            self.recorded = found.recorded
            return found
        self.replayed = False
        answer = self._ask(messages, extras)
        self._front.recorded_answer(messages, self._options, extras, answer)
        return answer
