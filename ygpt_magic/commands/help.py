"""`%ygpt help [NAME]`: every subcommand's usage and summary, or one subcommand's whole help.

All of it is generated from the declared arguments and the docstrings (the way `%%ygpt?` is),
so the help cannot drift from what the parser accepts. `%ygpt NAME --help` shows the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from IPython.core.magic_arguments import argument

from ..errors import OptionError
from ..kernel import Kernel
from ._common import show
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
    """One subcommand's usage, description and arguments, as argparse formats them."""
    text = run.parser.format_help().strip().removeprefix("::").strip()
    show(f"```text\n{text}\n```", text)


@subcommand
@argument("name", nargs="?", default=None, metavar="NAME", help="A subcommand to describe, e.g. config.")
def run(kernel: Kernel, line: str) -> None:
    """List the subcommands, or describe one."""
    from . import COMMANDS, no_such_subcommand

    args = parse(run, line)
    if args.name is None:
        show(*overview(COMMANDS))
    elif args.name in COMMANDS:
        show_command_help(COMMANDS[args.name].run)
    else:
        raise OptionError(f"%ygpt help: there is {no_such_subcommand(args.name)}.")
