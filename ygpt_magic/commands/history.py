"""`%ygpt history [--chat NAME]`: exactly the messages the next cell of a chat will send."""

from __future__ import annotations

from ..chat import Message
from ..chat.tooluse import message_role, message_text
from ..kernel import Kernel
from ..words import counted
from ._common import secrets_masked, show
from .args import chat_arg, parse, subcommand


@subcommand
@chat_arg()
def run(kernel: Kernel, line: str) -> None:
    """Show the messages the chat sends with its next cell.

    The system message and the turns, in the order they are sent, each turn labelled with the
    `In [N]` of the cell run that asked, when this session ran it (a cell id means nothing to a
    reader; a later run of that cell, into another chat or with --once, does not change it).
    A credential of this kernel in a chat (loaded from a file) shows masked."""
    args = parse(run, line)
    chat = kernel.session.chat(args.chat, create=False)
    messages = chat.messages()
    hide = secrets_masked(kernel)
    head = hide(f"Chat '{chat.name}': {counted(len(chat.turns), 'turn')}, {counted(len(messages), 'message')}")
    if not messages:
        show(f"**{head}**. Nothing sent yet.", f"{head}. Nothing sent yet.")
        return
    md, plain = [f"**{head}**", ""], [head]
    sent: list[tuple[int | None, Message]] = (
        [(None, {"role": "system", "text": chat.system})] if chat.system else [])
    sent += [(turn.asked_in, message) for turn in chat.turns for message in turn.messages()]
    for count, message in sent:
        where = f" (In [{count}])" if count is not None else ""
        role, text = message_role(message), message_text(message)
        md.append(f"**{role}**{where}:\n\n{_quote(text)}\n")
        plain.append(f"[{role}]{where} {text}")
    show(hide("\n".join(md)), hide("\n".join(plain)))


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])
