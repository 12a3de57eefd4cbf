"""The `%ygpt` subcommands: one small module each, dispatched by name from COMMANDS.

Each module has `SUMMARY` (one line for `%ygpt help`) and `run(magics, line)`, which parses its
own arguments with IPython's magic_arguments and shows its result.
"""

from __future__ import annotations

from types import ModuleType

from ..errors import OptionError
from . import (
    auth, cache, chat, chats, config, connect, export, help, history, load, models, panel, provenance,
    reset, save, usage, whoami,
)

COMMANDS: dict[str, ModuleType] = {
    "connect": connect,
    "auth": auth,
    "whoami": whoami,
    "config": config,
    "history": history,
    "chat": chat,
    "chats": chats,
    "reset": reset,
    "usage": usage,
    "save": save,
    "load": load,
    "export": export,
    "models": models,
    "panel": panel,
    "cache": cache,
    "provenance": provenance,
    "help": help,
}


def dispatch(magics, line: str):
    """Run `%ygpt <subcommand> <args>`; no subcommand shows the help."""
    name, _, rest = line.strip().partition(" ")
    command = COMMANDS.get(name or "help")
    if command is None:
        raise OptionError(
            f"%ygpt has no subcommand '{name}'. Use one of: {', '.join(COMMANDS)} "
            "(%ygpt help describes them); a prompt goes in a %%ygpt cell."
        )
    return command.run(magics, rest)
