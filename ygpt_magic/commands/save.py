"""`%ygpt save PATH`: write every chat to a JSON file (with a version field)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..chat import chatfile
from ..kernel import Kernel
from ..words import counted
from ._common import output_path, secrets_masked, show
from .args import parse, subcommand


@subcommand
@argument("path", metavar="PATH", help="Where to write, e.g. chats.json.")
def run(kernel: Kernel, line: str) -> None:
    """Write all chats to a JSON file.

    System messages, options and turns, with a version; `%ygpt load` reads it.

    A credential of this kernel in a chat (one loaded from a file, where a prompt held it) is
    written masked, as `%ygpt whoami` shows it, and the output says so. Masked rather than
    refused: a refusal would leave no way to save those chats (a turn cannot be edited here,
    only reset), and the masked copy loses nothing usable, since a chat holding the key cannot
    be sent anyway (the credential guard refuses it)."""
    args = parse(run, line)
    path = output_path(args.path)
    chats = kernel.session.to_dict()
    written = chatfile.each_text(chats, secrets_masked(kernel))
    chatfile.write(path, written)
    masked = written != chats
    count = len(kernel.session.chats)
    note = (" A credential of this kernel found in them was written masked, as %ygpt whoami "
            "shows it." if masked else "")
    show(f"Saved {counted(count, 'chat')} to {path}.{note}")
