"""`%ygpt reset [--chat NAME | --all]`: forget a chat's turns (or every chat)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..errors import OptionError
from ..kernel import Kernel
from ..words import counted
from ._common import show
from .args import chat_arg, parse, subcommand


@subcommand
@chat_arg()
@argument("--all", action="store_true", help="Forget every chat; an empty 'default' remains.")
def run(kernel: Kernel, line: str) -> None:
    """Forget a chat's turns, or every chat.

    A single chat keeps its system message and options."""
    args = parse(run, line)
    if args.all and args.chat:
        raise OptionError("%ygpt reset: use either --chat NAME or --all, not both.")
    session = kernel.session
    if args.all:
        count = len(session.chats)
        session.reset(all=True)
        show(f"Forgot all {counted(count, 'chat')}; 'default' is empty.")
        return
    chat = session.chat(args.chat, create=False)
    turns = len(chat.turns)
    session.reset(chat.name)
    show(f"Chat '{chat.name}' reset: {counted(turns, 'turn')} forgotten "
         "(system message and options kept).")
