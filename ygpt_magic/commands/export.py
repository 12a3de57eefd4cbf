"""`%ygpt export PATH.md [--chat NAME]`: a readable Markdown transcript of a chat."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..chat import files
from ..kernel import Kernel
from ..words import counted
from ._common import output_path, show
from .args import chat_arg, parse, subcommand


@subcommand
@argument("path", metavar="PATH", help="Where to write, e.g. chat.md.")
@chat_arg()
def run(kernel: Kernel, line: str) -> None:
    """Write a chat as a Markdown transcript.

    System message, user and assistant turns, usage."""
    args = parse(run, line)
    chat = kernel.session.chat(args.chat, create=False)
    text = kernel.session.export_markdown(chat.name)
    path = output_path(args.path)
    files.write_text(path, text)
    show(f"Exported chat '{chat.name}' ({counted(len(chat.turns), 'turn')}) to {path}.")
