"""`%ygpt save PATH`: write every chat to a JSON file (with a version field)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ._common import output_path, parse, show

SUMMARY = "save PATH: write all chats to a JSON file"


@magic_arguments(name="ygpt save")
@argument("path", help="Where to write, e.g. chats.json.")
def run(magics, line: str) -> None:
    """Save all chats (system messages, options, turns) to JSON; `%ygpt load` reads it."""
    args = parse(run, line, "ygpt save")
    path = output_path(args.path)
    magics.session.save(path)
    count = len(magics.session.chats)
    show(f"Saved {count} chat{'s' if count != 1 else ''} to {path}.")
