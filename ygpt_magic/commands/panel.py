"""`%ygpt panel [--chat NAME] [--side]`: the widget panel, a second view over the same chats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.core.magic_arguments import argument

from ..kernel import Kernel
from .args import chat_arg, parse, subcommand

if TYPE_CHECKING:
    from ..chat.pictures import Picture
    from ..panel import ChatPanel


@subcommand
@chat_arg("The chat to show first (default: current).")
@argument("--side", action="store_true",
          help="Open it in JupyterLab's side area, beside the notebook (needs the sidecar package).")
def run(kernel: Kernel, line: str) -> ChatPanel | None:
    """Open the chat panel (ipywidgets).

    It edits the same chats as the %%ygpt cells and uses the same server."""
    args = parse(run, line)
    from .. import request
    from ..context import images
    from ..panel import show_panel  # ipywidgets is only imported when a panel is asked for
    from ..panel.side import beside

    # a Send's text the way a cell's is: references filled in, checked
    def prepare(text: str) -> tuple[str, tuple[str, ...], tuple[Picture, ...]]:
        expanded = request.expand(kernel, text, where="the panel's message")
        found = images.pictures(None, kernel.namespace, expanded.pictures)
        return expanded.text.strip("\n"), expanded.notes, found

    show_beside = beside() if args.side else None  # a missing sidecar is said before any widget
    panel = show_panel(kernel.session, kernel.connection.client, chat=args.chat,
                       settings=lambda: kernel.settings, watch=kernel.on_settings,
                       tools=lambda plan: request.tool_loop(kernel, plan),
                       cache=lambda prompt: request.front(kernel, prompt, "the panel's message"),
                       secrets=kernel.connection.known_secrets, prepare=prepare)
    if show_beside is None:
        return panel
    print(show_beside(panel))
    return None
