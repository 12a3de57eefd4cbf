"""How the two forms of the magic are written: `%%ygpt [flags]` with the prompt below, and
`%ygpt SUBCOMMAND ...`, for the help `%ygpt?` prints and for a prompt written on the flags' line.

IPython's ``magic_arguments`` builds one usage line from the cell's flags under one name, and
``%ygpt?`` showed ``%ygpt [--system TEXT] [--once] ...``, a form that refuses every one of those
flags; `%%ygpt --once What is 2+2?` was refused with argparse's "unrecognized arguments: What is
2+2?", which said nothing of where the question goes. Both now show the cell's shape.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterable

from IPython.core.magic_arguments import MagicHelpFormatter

#: the parser's name: IPython's formatter writes a `%` before it (``%%ygpt``)
CELL = "%ygpt"
#: what follows the cell's flags, and the line form, each on a usage line of its own
PROMPT_BELOW = "the prompt, on the lines below"
LINE_FORM = "%ygpt SUBCOMMAND ...   (%ygpt help lists the subcommands)"


class TwoForms(MagicHelpFormatter):
    """IPython's help formatter, its usage the cell form (the flags, then the prompt below them)
    and the line form, whose arguments are its subcommands'."""

    def _format_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                      groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None) -> str:
        cell = super()._format_usage(usage, actions, groups, prefix).rstrip("\n")
        return f"{cell}\n  {PROMPT_BELOW}\n\n  {LINE_FORM}\n\n"


def prompt_on_the_line(flags: list[str], strays: list[str]) -> str:
    """The refusal of words written on the `%%ygpt` line that no flag takes (``strays``; the
    line's other words are ``flags``): where they go, shown in the cell's shape."""
    words = " ".join(strays)
    line = " ".join(["%%ygpt", *map(shlex.quote, flags)])
    return (f"{words!r} was not taken: the %%ygpt line holds only flags, and the prompt goes on "
            f"the lines below it:\n    {line}\n    {words}\nA flag's value with spaces goes "
            f"in quotes (--system \"be brief\").")
