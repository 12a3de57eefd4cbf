"""The part of a long failed cell that `%ygpt fix` sends: the lines around where it failed.

A cell longer than ``max_value_chars`` was sent like any ``{In[N]}``, cut to its first
characters: the failing line of a long preprocessing cell (often its last) was not in it, and the
model was still asked for "the whole corrected cell", so the new cell held a corrected first
part, and a user who swapped it in lost the rest. So a fix sends the lines around the cell's
innermost line the traceback shows, as many as fit, says which in the prompt and in a note, and
asks for those lines corrected, not the whole cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..context.cells import CellError
from ..context.values import bounded
from ..render.markdown import fenced


@dataclass(frozen=True)
class Part:
    """Lines ``first`` to ``last`` (from 1) of a cell of ``total`` lines and ``chars`` characters,
    around line ``at``, where it failed; ``text``: those lines."""

    count: int
    first: int
    last: int
    total: int
    chars: int
    at: int
    text: str

    def prompt(self) -> str:
        """The source's part of the prompt, saying which lines it holds."""
        return (f"Its source, lines {self.first}–{self.last} of {self.total} (the rest of the cell is "
                f"left out):\n{fenced(self.text, 'python')}")

    def asked(self) -> str:
        """What the model is asked for instead of the whole cell, which it did not see."""
        return f"the corrected lines {self.first}–{self.last} of cell {self.count}, not the whole cell"

    def ask(self) -> str:
        """The prompt's last words when no other cell is asked for."""
        return (f"Only lines {self.first}–{self.last} of cell {self.count} were sent: give those lines "
                f"corrected, not the whole cell, in one ```python code block.")

    def note(self, stopped: bool) -> str:
        """The note above the reply: what was sent, and that the new cell is not the whole cell."""
        how = "was stopped" if stopped else "failed"
        return (f"cell {self.count} has {self.total} lines ({self.chars:,} characters, over max_value_chars): "
                f"only lines {self.first}–{self.last}, around line {self.at} where it {how}, were sent, "
                f"and the model was asked for those lines corrected: the new cell below holds those lines "
                f"corrected, not the whole cell; put them in place of lines {self.first}–{self.last} (or "
                f"%config YGptMagics.max_value_chars = {self.chars} to send the whole cell)")


def part_sent(source: str, failed: CellError, max_chars: int) -> Part | None:
    """The lines of ``source`` (cell ``failed``'s) a fix sends when it is over ``max_chars``:
    around the innermost line the traceback shows (the last line when it shows none), the
    nearer line first, while they fit; None when the whole cell fits."""
    if len(source) <= max_chars:
        return None
    lines = source.split("\n")
    at = min(failed.lines[0], len(lines)) if failed.lines else len(lines)
    first = last = at
    size = len(lines[at - 1])
    while fits := [line for line in (first - 1, last + 1)
                   if 1 <= line <= len(lines) and size + len(lines[line - 1]) < max_chars]:
        line = min(fits, key=lambda line: abs(line - at))   # the nearer; a tie: the line before
        size += len(lines[line - 1]) + 1
        first, last = min(first, line), max(last, line)
    text = bounded("\n".join(lines[first - 1:last]), None, max_chars).text
    return Part(failed.count, first, last, len(lines), len(source), at, text)
