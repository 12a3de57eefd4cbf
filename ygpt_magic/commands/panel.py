"""`%ygpt panel [--chat NAME] [--side]`: the widget panel, a second view over the same chats."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from .args import chat_arg, parse, subcommand


@subcommand
@chat_arg("The chat to show first (default: current).")
@argument("--side", action="store_true",
          help="Open it in JupyterLab's side area, beside the notebook (needs the sidecar package).")
def run(magics, line: str):
    """Open the chat panel (ipywidgets).

    It edits the same chats as the %%ygpt cells and uses the same server."""
    args = parse(run, line)
    from ..context import images
    from ..panel import show_panel  # ipywidgets is only imported when a panel is asked for
    from ..panel.side import beside
    from . import _request

    def prepare(text: str):  # a Send's text the way a cell's is: references filled in, checked
        expanded = _request.expand(magics, text, where="the panel's message")
        found = images.pictures(None, magics.shell.user_ns, expanded.pictures)
        return expanded.text.strip("\n"), expanded.notes, found

    def cache(prompt: str):  # the reply cache, as the cells use it (read at each Send)
        return magics.cache.front(magics.connection.client, target=magics.connection.target,
                                  where="the panel's message", prompt=prompt,
                                  secrets=magics.connection.known_secrets)

    show_beside = beside() if args.side else None  # a missing sidecar is said before any widget
    panel = show_panel(magics.session, magics.connection.client, chat=args.chat, settings=magics,
                       cache=cache, secrets=magics.connection.known_secrets, prepare=prepare)
    if show_beside is None:
        return panel
    print(show_beside(panel))
    return None
