"""The `%ygpt` subcommands: one small module each, dispatched by name from COMMANDS.

Each module has `run(kernel, line)`, declared with `args.subcommand` (which names its parser
after the module) and the shared argument decorators of `args.py`; it parses its own arguments
and shows its result. A subcommand's name is its module's name, and its help (`%ygpt help NAME`,
`%ygpt NAME --help`) comes from its declarations and docstring.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import OptionError
from ..words import closest
from .args import shell_words, uncommented

if TYPE_CHECKING:
    from ..kernel import Kernel

#: In the order `%ygpt help` lists them; each is the module of that name in this package.
NAMES = ("connect", "auth", "whoami", "config", "history", "chat", "chats", "reset", "usage",
         "save", "load", "export", "models", "panel", "batch", "embed", "similar", "fix", "cache",
         "provenance", "help")


class _Commands(Mapping[str, ModuleType]):
    """The subcommands by name, each module imported when first asked for: ``%load_ext``
    imports none of them (``%ygpt fix`` alone was a fifth of the load), and the background
    import (client/preload.py) brings them all in before the first ``%ygpt``."""

    def __getitem__(self, name: str) -> ModuleType:
        if name not in NAMES:
            raise KeyError(name)
        return importlib.import_module(f"{__name__}.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)


COMMANDS: Mapping[str, ModuleType] = _Commands()

_HELP_FLAGS = ("-h", "--help")


def dispatch(kernel: Kernel, line: str) -> object:
    """Run `%ygpt <subcommand> <args>`; no subcommand, or ``--help`` / ``-h`` in its place, is
    `%ygpt help` (so `%ygpt --help config` is `%ygpt help config`), and `%ygpt config?` is
    `%ygpt config --help`. Returns what the
    subcommand's ``run`` returns (the cell's output: a panel, else None)."""
    name, _, rest = line.strip().partition(" ")
    if name.startswith("#"):  # `%ygpt  # a note`: the whole line is a comment (args.uncommented)
        name = rest = ""
    if name.endswith("?") and not rest.strip():  # `%ygpt fix?` is help on it, as `obj?` is
        name, rest = name.rstrip("?"), _HELP_FLAGS[1]   # IPython's (help_syntax.py)
    command = COMMANDS.get("help" if name in ("", *_HELP_FLAGS) else name)
    if command is None:
        raise OptionError(f"%ygpt has {no_such_subcommand(name)} (%ygpt help describes them); "
                          "a prompt goes in a %%ygpt cell.")
    if _asks_for_help(rest):
        return COMMANDS["help"].show_command_help(command.run)
    return command.run(kernel, rest)


def no_such_subcommand(name: str) -> str:
    """How ``%ygpt NAME`` and ``%ygpt help NAME`` refuse a name that is no subcommand ("no
    subcommand 'conect'; did you mean connect? Use one of: connect, …"): the closest real one
    first, as a mistyped flag gets it (args.closest)."""
    guess = closest(name, NAMES)
    hint = f"; did you mean {guess}?" if guess else "."
    return f"no subcommand '{name}'{hint} Use one of: {', '.join(NAMES)}"


def _asks_for_help(rest: str) -> bool:
    try:
        return any(word in _HELP_FLAGS for word in shell_words(uncommented(rest)))
    except ValueError:  # unbalanced quotes: the subcommand's parser says so
        return False
