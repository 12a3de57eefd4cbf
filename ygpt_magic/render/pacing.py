"""Pacing: when a streaming reply's display may be updated (the throttle of render/stream.py),
and how much of its Markdown is ready to be drawn (``settled``).

Every update of a display costs a message with the whole text so far to the frontend, so updates
are throttled (``_wait``): at most one per ``interval`` seconds, and once ``cost_ratio`` times the
text's length has been sent, one per ``still`` second; text held back is drawn when it is due,
also if no chunk follows (``due``). Kept apart from the renderer, which says what to draw; this
says when, and which end of the text is still too unfinished to draw.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .terminal import Typewriter


#: a last line its next characters may still make a list item, a heading or a fence: digits with
#: or without their marker, a bullet or hashes alone, one or two backticks or tildes
_UNFINISHED = re.compile(r"[ \t]*(?:\d{1,9}[.)]?|[-*+]|#{1,6}|`{1,2}|~{1,2})")
#: a table row (a line starting with a pipe), and what a table's delimiter row may start as
_ROW = re.compile(r"[ \t]*\|")
_DELIMITER = re.compile(r"[ \t|:-]*")


def settled(text: str) -> str:
    """``text`` (Markdown, streaming) without an end that more text may still turn into another
    block: a last line that is not yet a list marker or a fence (a lone ``1``, two backticks), a
    table's header row until its delimiter row is complete. Drawn as it stands, that end showed
    as a paragraph (``| region | revenue |`` in raw pipes, for a second at 0.3 s a chunk) that
    then jumped into a list, a fence or a table. Only an end is left out, so the text keeps its
    order; the final form shows all of it."""
    rest, _, last = text.rpartition("\n")   # ``last``: the line being written ("" after a newline)
    if _UNFINISHED.fullmatch(last):
        return text[:len(text) - len(last)]
    before, _, header = rest.rpartition("\n")
    if _ROW.match(last) and not _ROW.match(header):   # a header row being written
        return text[:len(text) - len(last)]
    if _ROW.match(header) and _DELIMITER.fullmatch(last) and not _ROW.match(before.rpartition("\n")[2]):
        return rest[:len(rest) - len(header)]   # a header row, its delimiter row not complete
    return text


class Pacing:
    """The throttle a StreamRenderer inherits: its budget, its clock and what it has drawn.

    The renderer sets ``_text`` (the latest text), ``_done`` and ``_screen`` (a terminal's
    Typewriter, which prints as it comes and so never waits); it adds each update's size to
    ``_sent``, records it as ``_shown``, and stamps ``_last`` and ``_cost`` as it draws."""

    #: Streaming may send at most this many times the current text's length in total, plus
    #: ``cost_allowance`` characters (so short replies are limited by time alone).
    cost_allowance = 20_000
    still = 1.0  # past the byte budget, the longest the screen stands still while the reply grows
    render_spacing = 5.0  # updates are at least this many times the last one's render time apart

    def __init__(self, *, interval: float, clock: Callable[[], float], cost_ratio: float | None) -> None:
        self.interval = interval
        self.clock = clock
        self.cost_ratio = cost_ratio  # None: no byte limit (the naive baseline in benchmarks)
        self._text = ""
        self._done = False
        self._screen: Typewriter | None = None
        self._shown = 0  # length of the text on screen
        self._sent = 0  # characters sent by streaming updates since the text last started over
        self._last = float("-inf")
        self._cost = 0.0  # seconds the last update took to render and send

    def due(self) -> float | None:
        """Seconds until the text the throttle held back may be drawn (0 or less: now); None when
        the screen shows all of it (or a terminal prints it as it comes). The exchange waits for the
        next chunk at most this long, then draws it: a pausing server no longer hides it (F1)."""
        size = len(self._text)
        if self._done or size <= self._shown or self._screen is not None:
            return None
        return self._wait(size)

    def _throttled(self, size: int) -> bool:
        """Whether an update of ``size`` characters must wait: too soon after the last one, or
        over the byte budget. A terminal prints only the new characters, so it never waits."""
        return bool(self._shown) and self._wait(size) > 0

    def _wait(self, size: int) -> float:
        """Seconds until an update of ``size`` characters may be drawn (0 or less: now): within the
        byte budget ``interval`` after the last update, over it ``still`` after it, and always at
        least ``render_spacing`` times the last update's own time.

        Why: the budget alone let an update through only once the text had grown by a seventh, so
        late in a 10,000-token reply at the cloud's pace updates came 6 s apart (a 200 KB line 17 s,
        a 2,000-row table 20 s). Renderer alone, per update: Markdown prose 4 ms at 10 KB, 17 ms at
        40 KB; LaTeX 26 ms at 40 KB; a 160 KB line 15 ms; a table 47 ms at 10 KB, 500 ms at 80 KB.
        So an update a second costs a few percent of the main thread, and the bytes grow with the
        stream's seconds times the text's length: the 10,000-token reply (50 s) takes 78 updates,
        30x its length in HTML (was 49, 9x), 0.8 s of CPU. A table rendering in half a second is
        drawn every 2.5 s, so renders take at most a fifth of the main thread (2,000 rows: gaps
        3.4 s, 16 % of the stream's time). Freezing finished blocks into outputs of their own keeps
        bytes linear, but splits a table and an answer over outputs that vary with network timing."""
        over = self.cost_ratio is not None and self._sent + size > self.cost_ratio * size + self.cost_allowance
        return self._last + max(self.still if over else self.interval, self.render_spacing * self._cost) - self.clock()
