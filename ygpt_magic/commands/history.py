"""`%ygpt history [--chat NAME]`: exactly the messages the next cell of a chat will send."""

from __future__ import annotations

from ..words import counted
from ._common import show
from .args import chat_arg, parse, subcommand


@subcommand
@chat_arg()
def run(magics, line: str) -> None:
    """Show the messages the chat sends with its next cell.

    The system message and the turns, in the order they are sent."""
    args = parse(run, line)
    chat = magics.session.chat(args.chat, create=False)
    messages = chat.messages()
    head = f"Chat '{chat.name}': {counted(len(chat.turns), 'turn')}, {counted(len(messages), 'message')}"
    if not messages:
        show(f"**{head}**. Nothing sent yet.", f"{head}. Nothing sent yet.")
        return
    cells = [turn.cell_id for turn in chat.turns for _ in (0, 1)]
    offset = 1 if chat.system else 0
    md, plain = [f"**{head}**", ""], [head]
    for index, message in enumerate(messages):
        cell = cells[index - offset] if index >= offset else None
        where = f" (cell {cell})" if cell else ""
        md.append(f"**{message['role']}**{where}:\n\n{_quote(message['text'])}\n")
        plain.append(f"[{message['role']}]{where} {message['text']}")
    show("\n".join(md), "\n".join(plain))


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])
