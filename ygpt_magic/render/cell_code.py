"""A ``--format code`` reply's Python as the new cell, and the line saying what stayed out of it.

A model asked for code often answers with more than Python: a ``bash`` block to install a
package, a ``text`` or untagged block of the output to expect, a ``console`` transcript. Joined
as they came, the new cell failed on its first line (``pip install x`` is no Python). The cell
holds the reply's Python blocks: those tagged ``python``, ``py`` or ``ipython``, or, when none is
tagged, the untagged ones (so output shown after tagged code stays out, the rule ``%ygpt fix``
follows: markdown.corrected_cell).

A shell block is never put into the cell, not even as IPython's ``!command`` lines: a reply can
be steered by text the user sent (a ``--docs`` passage, a tool's result, a file), and an
injected ``curl … | sh`` would be one Shift-Enter from running; the user copies a command they
mean to run. Every block left out is named in one line under the reply: nothing is cut
silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..words import counted, listed
from .markdown import PYTHON_TAGS, code_blocks

#: blocks of shell commands or a terminal session (Pygments' names): named apart when left out
SHELL = frozenset({"bash", "sh", "shell", "zsh", "ksh", "fish", "console", "shell-session",
                   "shellsession", "terminal", "powershell", "bat", "cmd"})


@dataclass(frozen=True)
class NotebookCell:
    """The code for the new cell, and each block of the reply left out of it (its language)."""

    code: str
    left_out: tuple[str, ...]

    def said(self) -> str:
        """The line under the reply when a block was left out; "" when none was."""
        if not self.left_out:
            return ""
        left = f"left out: {listed([_named(what, count) for what, count in Counter(self.left_out).items()])}"
        if any(what in SHELL for what in self.left_out):
            left += " (shell commands are never put into a cell: copy one from the reply to run it)"
        if not self.code:
            return f"No Python block in the reply, so nothing was put into a new cell; {left}."
        return f"The new cell holds the reply's Python; {left}."


def _named(what: str, count: int) -> str:
    name = what or "untagged"
    return f"the {name} block" if count == 1 else counted(count, f"{name} block")


def notebook_cell(reply: str) -> NotebookCell:
    """The new cell for a ``--format code`` reply: its Python blocks in the reply's order
    (module docstring), and what was left out."""
    blocks = [(language.lower(), code) for language, code in code_blocks(reply)]
    tagged = any(language in PYTHON_TAGS for language, _ in blocks)
    python = PYTHON_TAGS if tagged else frozenset({""})
    kept = [code for language, code in blocks if language in python]
    return NotebookCell("\n\n".join(kept), tuple(language for language, _ in blocks if language not in python))
