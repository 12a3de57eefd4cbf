"""The cell's waiting line while its request is planned, before the reply's renderer exists.

Planning a long chat's request may count many turns with the tokenizer first (chat/counting.py:
a chat loaded from a file written without counts, another ``--model``): a few round trips, over a
second at the cloud's pace for a hundred turns, before anything is sent. The cell then shows a line
that says so, in the style of the renderer's own waiting lines, and the reply's first display
replaces it in the same output (:meth:`CountingLine.display` is the renderer's display), so the
saved notebook holds the reply alone. A quick count shows nothing: the line shows once the
counting has taken ``after`` seconds (client.loop.SLOW_AFTER), as the renderer's lines do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..modelname import model_name
from . import inert, terminal


class CountingLine:
    """``⏳ counting the tokens of N turns of chat '…'…``, told of each wave of turns counted at
    once (chat.counting.Waiting), shown when counting is slow, then handed to the renderer."""

    def __init__(self, chat: str, model: str, *, after: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.chat, self.model, self.turns = chat, model, 0
        self._after, self._clock = after, clock
        self._started = clock()
        self._handle: Any = None  # the display showing the line, until the renderer takes it
        # plain IPython in a terminal: a line erased before the reply is printed (terminal.py)
        self._screen = terminal.Typewriter() if terminal.active() else None

    @property
    def line(self) -> str:
        return (f"⏳ counting the tokens of {self.turns:,} turns of chat '{self.chat}' for "
                f"{model_name(self.model).short}, once: the counts stay with the chat…")

    def counting(self, turns: int) -> None:
        """A wave of ``turns`` is asked: the line counts it, shown (or kept up to date) once the
        counting has taken ``after`` seconds, though no single round trip did."""
        self.turns += turns
        if self._handle is not None or self._clock() - self._started >= self._after:
            self.slow()

    def slow(self) -> None:
        """Show the line (or show it anew, with the turns counted so far)."""
        if self._screen is not None:
            if self._screen.erasable:  # else it could never be taken back: nothing is shown
                self._screen.show(self.line)
            return
        bundle = inert.bundle(inert.quiet(self.line), plain=self.line)
        if self._handle is None:
            from IPython.display import display

            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)

    def handover(self) -> Callable[..., Any] | None:
        """The display the reply's renderer is to use: :meth:`display` while the line shows,
        else None (IPython's; in a terminal the line is erased first, for the renderer's own)."""
        if self._screen is not None:
            self._screen.show("")
            return None
        return self.display if self._handle is not None else None

    def display(self, bundle: Any, **kwargs: Any) -> Any:
        """The renderer's display: its first output replaces the line, the next ones follow it."""
        handle, self._handle = self._handle, None
        if handle is None:
            from IPython.display import display

            return display(bundle, **kwargs)
        kwargs.pop("display_id", None)
        handle.update(bundle, **kwargs)
        return handle

    def clear(self) -> None:
        """Take the line away if nothing replaced it (planning failed, a dry run, an error
        before any text): the output keeps no line about a wait that is over."""
        if self._screen is not None:
            self._screen.show("")
        elif self._handle is not None:
            self._handle.update({"text/plain": ""}, raw=True)
            self._handle = None
