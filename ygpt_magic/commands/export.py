"""`%ygpt export PATH.md [--chat NAME]`: a readable Markdown transcript of a chat."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..chat import files
from ..kernel import Kernel
from ..words import counted
from ._common import output_path, secrets_masked, show
from .args import chat_arg, parse, subcommand


@subcommand
@argument("path", metavar="PATH", help="Where to write, e.g. chat.md.")
@chat_arg()
def run(kernel: Kernel, line: str) -> None:
    """Write a chat as a Markdown transcript.

    System message, user and assistant turns, usage; a credential of this kernel in the chat
    (loaded from a file) is written masked, as `%ygpt whoami` shows it."""
    args = parse(run, line)
    chat = kernel.session.chat(args.chat, create=False)
    hide = secrets_masked(kernel)
    path = output_path(args.path)
    files.write_text(path, hide(kernel.session.export_markdown(chat.name)))
    show(hide(f"Exported chat '{chat.name}' ({counted(len(chat.turns), 'turn')}) to {path}."))
