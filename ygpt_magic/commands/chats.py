"""`%ygpt chats`: every chat with its size, model and system message."""

from __future__ import annotations

from ..chat import planning
from ..kernel import Kernel
from ._common import secrets_masked, show_table
from .args import parse, subcommand


@subcommand
def run(kernel: Kernel, line: str) -> None:
    """List the chats (the current one is marked *).

    `%%ygpt --chat NAME` starts or continues one. A credential of this kernel in a name or a
    system message (a chat loaded from a file) shows masked, before a long system message is
    cut, so no part of it shows either."""
    parse(run, line)
    session, hide = kernel.session, secrets_masked(kernel)
    rows = []
    for name, chat in session.chats.items():
        system = hide(chat.system or "")
        rows.append([
            ("* " if name == session.current else "") + hide(name),
            str(len(chat.turns)),
            planning.effective_options(session, name, kernel.settings).model,
            str(chat.usage.total_tokens),
            system if len(system) <= 40 else system[:39] + "…",
        ])
    show_table(["chat", "turns", "model", "tokens", "system"], rows)
