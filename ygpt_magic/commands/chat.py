"""`%ygpt chat [NAME]`: switch the current chat (the one cells without --chat use)."""

from __future__ import annotations

from collections.abc import Iterable

from IPython.core.magic_arguments import argument

from ..chat.names import as_written
from ..kernel import Kernel
from ..words import counted, look_alike, matching
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
    note = "" if args.name is None else _new_name_notes(session.chats, args.name)
    if args.name is not None:
        session.current = args.name
    chat = session.chat()
    show(f"Current chat: '{chat.name}' ({counted(len(chat.turns), 'turn')}).{note}")


def _new_name_notes(chats: Iterable[str], name: str) -> str:
    """What a new chat ``name`` may have been meant as: an existing chat with look-alike letters,
    or a variable's value (`$name`, taken as written: chat/names.py); '' for neither."""
    if name in chats:
        return _look_alike_note(chats, name)
    taken = as_written(name, lambda field: f'get_ipython().run_line_magic("ygpt", f"chat {field}")')
    return _look_alike_note(chats, name) + (f" {taken}" if taken else "")


def _look_alike_note(chats: Iterable[str], name: str) -> str:
    """The sentence that tells a new chat ``name`` from an existing one it differs from only by
    look-alike letters ('' for none): an empty chat that reads like the old one would be taken
    for it, and the next cell would lose that chat's history. The chat is still made: the user
    may mean it."""
    twin = None if matching(name, chats) is not None else look_alike(name, chats)
    if twin is None:
        return ""
    return (f" It is a new chat, not '{twin.name}': {twin.question(name)} If so, run "
            f"%ygpt chat {twin.name} (and %ygpt chats --delete {name} to drop this one).")
