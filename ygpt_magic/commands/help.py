"""`%ygpt help [NAME]`: every subcommand's usage and summary, or one subcommand's whole help.

All of it is generated from the declared arguments and the docstrings (the way `%%ygpt?` is),
so the help cannot drift from what the parser accepts. `%ygpt NAME --help` shows the same.
"""

from __future__ import annotations

import copy
import functools
import textwrap
from collections.abc import Mapping
from types import ModuleType

from IPython.core.magic_arguments import MagicHelpFormatter, argument

from ..errors import OptionError
from ..kernel import Kernel
from ._common import plain_width, show
from .args import Subcommand, parse, subcommand


def usage(run: Subcommand) -> str:
    """``%ygpt config [--chat NAME] [--model NAME|default] …``: the parser's usage line, on one
    line (IPython's help formatter opens it with ``::`` for reStructuredText)."""
    return " ".join(run.parser.format_usage().split()).removeprefix(":: ")


def summary(run: Subcommand) -> str:
    """The first line of the subcommand's docstring (the parser's description: IPython replaces
    the function's ``__doc__`` with the formatted help)."""
    return (run.parser.description or "").strip().splitlines()[0].strip()


def overview(commands: Mapping[str, ModuleType]) -> tuple[str, str]:
    """(markdown, plain): one line per subcommand, its usage and summary."""
    head = ("%%ygpt [flags] + text sends the cell to YandexGPT (%%ygpt? lists the flags). "
            "Line subcommands (%ygpt help NAME or %ygpt NAME --help for one):")
    rows = [(usage(module.run), summary(module.run)) for module in commands.values()]
    plain = "\n".join([head, *(f"{line}\n    {about}" for line, about in rows)])
    markdown = "\n".join([head, "", *(f"- `{line}`: {about}" for line, about in rows)])
    return markdown, plain


def show_command_help(run: Subcommand) -> None:
    """One subcommand's usage, description and arguments, as argparse formats them; in a
    terminal, to its width (:func:`command_help`)."""
    text = command_help(run, plain_width())
    show(f"```text\n{text}\n```", text)


def command_help(run: Subcommand, width: int | None) -> str:
    """The help of ``run`` as argparse formats it. With a ``width`` (a terminal's), every line
    fits it, the description's paragraphs too: IPython prints a docstring as written, lines of up
    to ~95 columns that a narrow terminal wrapped again mid-word, and argparse wraps the
    arguments to a COLUMNS exported before the window changed. Without one (a notebook, whose
    output area wraps as it likes) it is as IPython gives it."""
    parser = run.parser
    if width is not None:
        parser = copy.copy(parser)
        parser.formatter_class = functools.partial(_Fitted, width=width)
    return parser.format_help().strip().removeprefix("::").strip()


class _Fitted(MagicHelpFormatter):
    """IPython's help formatter with the description's paragraphs filled to the width."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = textwrap.dedent(text).strip().split("\n\n")
        return "\n\n".join(textwrap.fill(" ".join(paragraph.split()), width, initial_indent=indent,
                                          subsequent_indent=indent, break_on_hyphens=False)
                             for paragraph in paragraphs)


@subcommand
@argument("name", nargs="?", default=None, metavar="NAME", help="A subcommand to describe, e.g. config.")
def run(kernel: Kernel, line: str) -> None:
    """List the subcommands, or describe one."""
    from . import COMMANDS, no_such_subcommand

    name = parse(run, line).name
    name = name and name.rstrip("?")  # `%ygpt help fix?`, as IPython's `obj?`
    if not name:
        show(*overview(COMMANDS))
    elif name in COMMANDS:
        show_command_help(COMMANDS[name].run)
    else:
        raise OptionError(f"%ygpt help: there is {no_such_subcommand(name)}.")
