"""The `%ygpt` subcommands: one small module each, dispatched by name from COMMANDS.

Each module has `run(magics, line)`, declared with `args.subcommand` (which names its parser
after the module) and the shared argument decorators of `args.py`; it parses its own arguments
and shows its result. A subcommand's name is its module's name, and its help (`%ygpt help NAME`,
`%ygpt NAME --help`) comes from its declarations and docstring.
"""

from __future__ import annotations

import shlex
from types import ModuleType

from ..errors import OptionError
from . import (
    auth, batch, cache, chat, chats, config, connect, export, fix, help, history, load, models,
    panel, provenance, reset, save, usage, whoami,
)
from .args import command_name

#: In the order `%ygpt help` lists them.
COMMANDS: dict[str, ModuleType] = {command_name(module.run): module for module in (
    connect, auth, whoami, config, history, chat, chats, reset, usage, save, load, export, models,
    panel, batch, fix, cache, provenance, help,
)}

_HELP_FLAGS = ("-h", "--help")


def dispatch(magics, line: str):
    """Run `%ygpt <subcommand> <args>`; no subcommand shows the help."""
    name, _, rest = line.strip().partition(" ")
    command = COMMANDS.get(name or "help")
    if command is None:
        raise OptionError(
            f"%ygpt has no subcommand '{name}'. Use one of: {', '.join(COMMANDS)} "
            "(%ygpt help describes them); a prompt goes in a %%ygpt cell."
        )
    if _asks_for_help(rest):
        return help.show_command_help(command.run)
    return command.run(magics, rest)


def _asks_for_help(rest: str) -> bool:
    try:
        return any(word in _HELP_FLAGS for word in shlex.split(rest))
    except ValueError:  # unbalanced quotes: the subcommand's parser says so
        return False
