"""`%ygpt export PATH.md [--chat NAME]`: a readable Markdown transcript of a chat."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..chat import files
from ..words import counted
from ._common import output_path, show
from .args import chat_arg, parse, subcommand


@subcommand
@argument("path", metavar="PATH", help="Where to write, e.g. chat.md.")
@chat_arg()
def run(magics, line: str) -> None:
    """Write a chat as a Markdown transcript.

    System message, user and assistant turns, usage."""
    args = parse(run, line)
    chat = magics.session.chat(args.chat, create=False)
    text = magics.session.export_markdown(chat.name)
    path = output_path(args.path)
    files.write_text(path, text)
    show(f"Exported chat '{chat.name}' ({counted(len(chat.turns), 'turn')}) to {path}.")
