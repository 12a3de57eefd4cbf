"""`%ygpt save PATH`: write every chat to a JSON file (with a version field)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..kernel import Kernel
from ..words import counted
from ._common import output_path, show
from .args import parse, subcommand


@subcommand
@argument("path", metavar="PATH", help="Where to write, e.g. chats.json.")
def run(kernel: Kernel, line: str) -> None:
    """Write all chats to a JSON file.

    System messages, options and turns, with a version; `%ygpt load` reads it."""
    args = parse(run, line)
    path = output_path(args.path)
    kernel.session.save(path)
    count = len(kernel.session.chats)
    show(f"Saved {counted(count, 'chat')} to {path}.")
