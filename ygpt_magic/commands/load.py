"""`%ygpt load PATH`: replace the chats with a file written by `%ygpt save`."""

from __future__ import annotations

from pathlib import Path

from IPython.core.magic_arguments import argument, magic_arguments

from ..session import counted
from ._common import parse, show

SUMMARY = "load PATH: replace the chats with a saved file (a bad file changes nothing)"


@magic_arguments(name="ygpt load")
@argument("path", help="A file written by %%ygpt save.")
def run(magics, line: str) -> None:
    """Load chats saved with `%ygpt save`. The file is checked completely first: a malformed
    one is refused with a message and the current chats stay as they are."""
    args = parse(run, line, "ygpt load")
    path = Path(args.path).expanduser()
    magics.session.load(path)
    session = magics.session
    turns = sum(len(chat.turns) for chat in session.chats.values())
    show(f"Loaded {counted(len(session.chats), 'chat')} with {counted(turns, 'turn')} from {path}; "
         f"current chat: '{session.current}'.")
