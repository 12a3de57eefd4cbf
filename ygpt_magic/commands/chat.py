"""`%ygpt chat [NAME]`: switch the current chat (the one cells without --chat use)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ..session import counted
from ._common import parse, show

SUMMARY = "chat [NAME]: switch the current chat (created if new), or show it"


@magic_arguments(name="ygpt chat")
@argument("name", nargs="?", default=None, help="The chat to make current.")
def run(magics, line: str) -> None:
    """Make NAME the chat that %%ygpt cells without --chat continue (panels follow it too)."""
    args = parse(run, line, "ygpt chat")
    session = magics.session
    if args.name is not None:
        session.current = args.name
    chat = session.chat()
    show(f"Current chat: '{chat.name}' ({counted(len(chat.turns), 'turn')}).")
