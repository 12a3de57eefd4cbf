"""The part of a long failed cell that `%ygpt fix` sends: the lines around where it failed.

A cell longer than ``max_value_chars`` was sent like any ``{In[N]}``, cut to its first
characters: the failing line of a long preprocessing cell (often its last) was not in it, and the
model was still asked for "the whole corrected cell", so the new cell held a corrected first
part, and a user who swapped it in lost the rest. So a fix sends the lines around the cell's
innermost line the traceback shows, as many as fit, says which in the prompt and in a note, and
asks for those lines corrected, not the whole cell.

Those lines may leave out the cell's imports (a long cell starts with them and fails near its
end), and a model that cannot see ``import numpy as np`` "fixes" ``np.log`` into something else.
So the cell's top-level import statements before the lines sent go too, apart, marked as sent
for the names they bring and not to be corrected, within a quarter of the room (the rest
counted); the lines asked for, and those the note says to replace, are still only the window.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from IPython.core.inputtransformer2 import TransformerManager

from ..context.cells import CellError
from ..context.values import bounded
from ..render.markdown import fenced
from ..words import counted

#: the share of max_value_chars a long cell's imports may take at most (1 / IMPORTS_SHARE)
IMPORTS_SHARE = 4


@dataclass(frozen=True)
class Imports:
    """A cell's top-level import statements sent beside the lines around where it failed:
    ``lines``, their line numbers; ``text``, those lines; ``left``, the statements left out,
    over their share of the room."""

    lines: tuple[int, ...] = ()
    text: str = ""
    left: int = 0

    def prompt(self) -> str:
        """Their part of the prompt, before the source's ('' when there are none)."""
        if not self.lines:
            return ""
        left = f"; {counted(self.left, 'more import statement')} left out" if self.left else ""
        return (f"Its imports, line{'s' if len(self.lines) > 1 else ''} {_spans(self.lines)} (sent for the "
                f"names they bring, not to be corrected{left}):\n{fenced(self.text, 'python')}\n\n")


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
    imports: Imports = field(default_factory=Imports)

    def prompt(self) -> str:
        """The source's part of the prompt, saying which lines it holds."""
        return self.imports.prompt() + (f"Its source, lines {self.first}–{self.last} of {self.total} (the "
                                        f"rest of the cell is left out):\n{fenced(self.text, 'python')}")

    def asked(self) -> str:
        """What the model is asked for instead of the whole cell, which it did not see."""
        return f"the corrected lines {self.first}–{self.last} of cell {self.count}, not the whole cell{self._nor()}"

    def ask(self) -> str:
        """The prompt's last words when no other cell is asked for."""
        return (f"Only lines {self.first}–{self.last} of cell {self.count} were sent: give those lines "
                f"corrected, not the whole cell{self._nor()}, in one ```python code block.")

    def _nor(self) -> str:
        """What the reply is not to hold when imports were sent: they stay where they are, so
        the corrected lines replace lines ``first``–``last`` alone."""
        return " nor its imports (an import the fix needs goes first in those lines)" if self.imports.lines else ""

    def note(self, stopped: bool) -> str:
        """The note above the reply: what was sent, and that the new cell is not the whole cell."""
        how = "was stopped" if stopped else "failed"
        return (f"cell {self.count} has {self.total} lines ({self.chars:,} characters, over max_value_chars): "
                f"only lines {self.first}–{self.last}, around line {self.at} where it {how}, were sent"
                f"{self._with_imports()}, and the model was asked for those lines corrected: the new cell "
                f"below holds those lines corrected, not the whole cell; put them in place of lines "
                f"{self.first}–{self.last} (or %config YGptMagics.max_value_chars = {self.chars} to send "
                f"the whole cell)")

    def _with_imports(self) -> str:
        """The note's words for the imports sent beside those lines, which the reply leaves out."""
        sent = self.imports.lines
        return f" (with its imports, line{'s' if len(sent) > 1 else ''} {_spans(sent)}, unchanged)" if sent else ""


def part_sent(source: str, failed: CellError, max_chars: int) -> Part | None:
    """The lines of ``source`` (cell ``failed``'s) a fix sends when it is over ``max_chars``:
    around the innermost line the traceback shows (the last line when it shows none), the
    nearer line first, while they fit beside the imports before them (:func:`imports_before`);
    None when the whole cell fits."""
    if len(source) <= max_chars:
        return None
    lines = source.split("\n")
    at = min(failed.lines[0], len(lines)) if failed.lines else len(lines)
    statements = imports_before(source, at)
    kept = _within(lines, statements, max_chars // IMPORTS_SHARE)
    room = max_chars - _size(lines, [line for statement in kept for line in statement])
    first, last = _window(lines, at, room)
    text = bounded("\n".join(lines[first - 1:last]), None, room).text
    before = [statement for statement in statements if statement[-1] < first]
    sent = [line for statement in kept if statement in before for line in statement]
    imports = Imports(tuple(sent), "\n".join(lines[line - 1] for line in sent),
                      len(before) - sum(statement in before for statement in kept))
    return Part(failed.count, first, last, len(lines), len(source), at, text, imports)


def _window(lines: list[str], at: int, room: int) -> tuple[int, int]:
    """The first and last of the lines around line ``at`` that fit in ``room``, the nearer
    line first; a tie: the line before."""
    first = last = at
    size = len(lines[at - 1])
    while fits := [line for line in (first - 1, last + 1)
                   if 1 <= line <= len(lines) and size + len(lines[line - 1]) < room]:
        line = min(fits, key=lambda line: abs(line - at))
        size += len(lines[line - 1]) + 1
        first, last = min(first, line), max(last, line)
    return first, last


def imports_before(source: str, at: int) -> list[tuple[int, ...]]:
    """The line numbers of each of the cell's top-level ``import`` / ``from … import``
    statements that end before line ``at``, read as IPython runs the cell (its magics and
    ``!`` lines made Python, line for line); none when it is no Python (a SyntaxError)."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return []
    return [tuple(range(node.lineno, (node.end_lineno or node.lineno) + 1)) for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom)) and (node.end_lineno or node.lineno) < at]


def _within(lines: list[str], statements: list[tuple[int, ...]], room: int) -> list[tuple[int, ...]]:
    """The first of ``statements`` whose lines fit in ``room`` characters together."""
    kept: list[tuple[int, ...]] = []
    for statement in statements:
        room -= _size(lines, statement)
        if room < 0:
            break
        kept.append(statement)
    return kept


def _size(lines: list[str], numbers: Sequence[int]) -> int:
    """The characters lines ``numbers`` take, each with its newline."""
    return sum(len(lines[line - 1]) + 1 for line in numbers)


def _spans(lines: tuple[int, ...]) -> str:
    """Line numbers as ranges: ``1–3, 7``."""
    spans: list[list[int]] = []
    for line in lines:
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(start) if start == end else f"{start}–{end}" for start, end in spans)
