"""`%ygpt load PATH`: replace the chats with a file written by `%ygpt save`."""

from __future__ import annotations

from pathlib import Path

from IPython.core.magic_arguments import argument

from ..kernel import Kernel
from ..words import counted
from ._common import secrets_masked, show
from .args import parse, subcommand


@subcommand
@argument("path", metavar="PATH", help="A file written by %%ygpt save.")
def run(kernel: Kernel, line: str) -> None:
    """Replace the chats with a saved file (a bad file changes nothing).

    Reads what `%ygpt save` wrote. The file is checked completely first: a malformed one is
    refused with a message and the current chats stay as they are. A turn with an empty reply
    (files saved before such replies stopped being recorded) is left out with its prompt, and
    a line says so."""
    args = parse(run, line)
    path = Path(args.path).expanduser()
    notes = kernel.session.load(path)
    session, masked = kernel.session, secrets_masked(kernel)
    turns = sum(len(chat.turns) for chat in session.chats.values())
    lines = [f"Loaded {counted(len(session.chats), 'chat')} with {counted(turns, 'turn')} from {path}; "
             f"current chat: '{masked(session.current)}'.", *map(masked, notes)]
    show("\n\n".join(lines), "\n".join(lines))
