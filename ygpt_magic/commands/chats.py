"""`%ygpt chats`: every chat with its size, model and system message."""

from __future__ import annotations

from ._common import show_table
from .args import parse, subcommand


@subcommand
def run(magics, line: str) -> None:
    """List the chats (the current one is marked *).

    `%%ygpt --chat NAME` starts or continues one."""
    parse(run, line)
    session = magics.session
    rows = []
    for name, chat in session.chats.items():
        system = chat.system or ""
        rows.append([
            ("* " if name == session.current else "") + name,
            str(len(chat.turns)),
            magics.effective_options(name).model,
            str(chat.usage.total_tokens),
            system if len(system) <= 40 else system[:39] + "…",
        ])
    show_table(["chat", "turns", "model", "tokens", "system"], rows)
