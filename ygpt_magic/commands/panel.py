"""`%ygpt panel [--chat NAME]`: the widget panel, a second view over the same chats."""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ._common import parse

SUMMARY = "panel [--chat NAME]: open the chat panel (ipywidgets)"


@magic_arguments(name="ygpt panel")
@argument("--chat", "-c", default=None, help="The chat to show first (default: current).")
def run(magics, line: str):
    """Show the panel; it edits the same chats as the %%ygpt cells and uses the same server."""
    args = parse(run, line, "ygpt panel")
    from ..panel import show_panel  # ipywidgets is only imported when a panel is asked for

    return show_panel(magics.session, magics.connection.client, chat=args.chat, settings=magics)
