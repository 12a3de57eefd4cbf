"""`%ygpt export PATH.md [--chat NAME]`: a readable Markdown transcript of a chat."""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ..errors import ChatFileError
from ..session import counted
from ._common import output_path, parse, show

SUMMARY = "export PATH.md [--chat NAME]: write a chat as a Markdown transcript"


@magic_arguments(name="ygpt export")
@argument("path", help="Where to write, e.g. chat.md.")
@argument("--chat", "-c", default=None, help="Which chat (default: current).")
def run(magics, line: str) -> None:
    """Write the chat (system, user, assistant, usage) as Markdown."""
    args = parse(run, line, "ygpt export")
    chat = magics.session.chat(args.chat, create=False)
    text = magics.session.export_markdown(chat.name)
    path = output_path(args.path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ChatFileError(path, exc.strerror or type(exc).__name__) from None
    show(f"Exported chat '{chat.name}' ({counted(len(chat.turns), 'turn')}) to {path}.")
