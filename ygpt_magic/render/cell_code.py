"""A ``--format code`` reply's blocks as the new cell a notebook runs, and the line saying what
stayed out of it.

A model asked for code often answers with more than Python: a ``bash`` block to install a
package, a ``text`` block of the output to expect, a ``console`` transcript. Joined as they
came, the new cell failed on its first line (``pip install x`` is no Python). A notebook user runs
a shell line as IPython's ``!command`` (and ``cd`` as ``%cd``: a ``!cd`` is undone as soon as its
shell ends), so a shell block goes into the cell that way, and a transcript's commands too, its
output lines left out. Any other block (text, output, JSON, SQL) stays in the reply only, and one
line under the reply names what was left out: nothing is cut silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..words import counted, listed
from .markdown import PYTHON, code_blocks

#: blocks of shell commands, each line one command (Pygments' names for them)
SHELL = frozenset({"bash", "sh", "shell", "zsh", "ksh", "fish"})
#: blocks of a terminal session: commands after a prompt, the rest their output
TRANSCRIPT = frozenset({"console", "shell-session", "shellsession", "terminal"})

#: a transcript's prompt before a command ("$ ") and before a continued line ("> ")
_PROMPT = re.compile(r"^\s*\$ ?")
_CONTINUED = re.compile(r"^\s*> ?")


@dataclass(frozen=True)
class NotebookCell:
    """The code for the new cell, and what of the reply went in otherwise or not at all."""

    code: str
    python: bool            # the reply has a Python block (tagged python, py, ipython or untagged)
    commands: tuple[str, ...]   # the language of each block put in as ``!command`` lines
    left_out: tuple[str, ...]   # each block left out (its language) and each transcript's output

    def said(self) -> str:
        """The line under the reply when the cell is not just the reply's Python; "" when it is."""
        if not (self.commands or self.left_out):
            return ""
        left = f"; left out: {self._left_out()}." if self.left_out else "."
        if not self.code:
            return f"No Python or shell block in the reply, so nothing was put into a new cell{left}"
        holds = ["the reply's Python"] if self.python else []
        if self.commands:
            whose = "its" if self.python else "the reply's"
            kinds = listed(list(dict.fromkeys(self.commands)))
            holds.append(f"{whose} {kinds} block{'s' if len(self.commands) > 1 else ''} as !command lines")
        return f"The new cell holds {listed(holds)}{left}"

    def _left_out(self) -> str:
        """``the text block``, ``2 json blocks``, ``the console block's output``."""
        return listed([_named(what, count) for what, count in Counter(self.left_out).items()])


def _named(what: str, count: int) -> str:
    if what.endswith(" output"):   # a transcript's output lines
        language = what.removesuffix(" output")
        return f"the {language} block's output" if count == 1 else f"the {language} blocks' output"
    return f"the {what} block" if count == 1 else counted(count, f"{what} block")


def notebook_cell(reply: str) -> NotebookCell:
    """The new cell for a ``--format code`` reply: its Python blocks and its shell blocks as
    ``!command`` lines, in the reply's order (module docstring)."""
    parts: list[str] = []
    python, commands, left_out = False, [], []
    for language, code in code_blocks(reply):
        kind = language.lower()
        if kind in PYTHON:
            python = True
            parts.append(code)
        elif kind in SHELL or kind in TRANSCRIPT:
            lines, dropped = shell_lines(code, transcript=kind in TRANSCRIPT)
            if lines:
                commands.append(kind)
                parts.append(lines)
            if dropped:
                left_out.append(f"{kind} output")
        else:
            left_out.append(kind)
    return NotebookCell("\n\n".join(parts), python, tuple(commands), tuple(left_out))


def shell_lines(code: str, *, transcript: bool) -> tuple[str, bool]:
    """A shell block as IPython lines, and whether output lines were left out. In a transcript
    only the lines after a ``$`` prompt are commands (all of them when none has one, as models
    often tag plain commands ``console``); a line continuing a command (after a ``\\``) stays as
    it is: IPython joins it to the ``!`` line above."""
    prompted = transcript and any(_PROMPT.match(line) for line in code.splitlines())
    lines: list[str] = []
    dropped = continued = False
    for line in code.splitlines():
        if continued:
            lines.append(_CONTINUED.sub("", line, count=1) if prompted else line)
        elif prompted and not _PROMPT.match(line):
            dropped = dropped or bool(line.strip())
            continue
        else:
            lines.append(command(_PROMPT.sub("", line, count=1)))
        continued = line.rstrip().endswith("\\")
    return "\n".join(lines).strip("\n"), dropped


def command(line: str) -> str:
    """One shell line as a notebook runs it: ``!line``; ``%cd`` for a ``cd``; a comment or a
    blank line as it is."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return stripped
    if stripped == "cd" or stripped.startswith("cd "):
        return f"%{stripped}"
    return f"!{stripped}"
