"""`%ygpt chat [NAME]`: switch the current chat (the one cells without --chat use)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..kernel import Kernel
from ..words import counted
from ._common import show
from .args import parse, subcommand


@subcommand
@argument("name", nargs="?", default=None, metavar="NAME", help="The chat to make current.")
def run(kernel: Kernel, line: str) -> None:
    """Switch the current chat (created if new), or show it.

    NAME becomes the chat that %%ygpt cells without --chat continue (panels follow it too).
    Nothing is sent; a mistyped NAME is removed again with %ygpt chats --delete NAME."""
    args = parse(run, line)
    session = kernel.session
    if args.name is not None:
        session.current = args.name
    chat = session.chat()
    show(f"Current chat: '{chat.name}' ({counted(len(chat.turns), 'turn')}).")
