"""`%ygpt reset [--chat NAME | --all]`: forget a chat's turns (or every chat)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ..errors import OptionError
from ._common import parse, show

SUMMARY = "reset [--chat NAME | --all]: forget a chat's turns, or every chat"


@magic_arguments(name="ygpt reset")
@argument("--chat", "-c", default=None, help="Which chat (default: current).")
@argument("--all", action="store_true", help="Forget every chat; an empty 'default' remains.")
def run(magics, line: str) -> None:
    """Forget turns. A single chat keeps its system message and options."""
    args = parse(run, line, "ygpt reset")
    if args.all and args.chat:
        raise OptionError("%ygpt reset: use either --chat NAME or --all, not both.")
    session = magics.session
    if args.all:
        count = len(session.chats)
        session.reset(all=True)
        show(f"Forgot all {count} chat{'s' if count != 1 else ''}; 'default' is empty.")
        return
    chat = session.chat(args.chat, create=False)
    turns = len(chat.turns)
    session.reset(chat.name)
    show(f"Chat '{chat.name}' reset: {turns} turn{'s' if turns != 1 else ''} forgotten "
         "(system message and options kept).")
