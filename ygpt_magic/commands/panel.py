"""`%ygpt panel [--chat NAME] [--side]`: the widget panel, a second view over the same chats.

Each Send goes through :class:`KernelDoor`: the cell's door rules (request.py) applied to the
panel, so a Send is filled in, cached, capped and logged exactly as a cell with the same text.
The panel is given what its cell's saved view carries (the cell's outputs in the saved
notebook), so turns asked in the panel under an earlier kernel come back (panel/carried.py).
In a run no page draws (saving.headless) it shows the panel's saved view with no widget at all
(panel/headless.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.core.magic_arguments import argument

from .. import request
from ..errors import PANEL
from ..kernel import Kernel
from ..saving import headless
from ._saved_notebook import saved_cell
from .args import chat_arg, parse, subcommand

if TYPE_CHECKING:
    from ..cache import Front
    from ..chat import Plan, Reply
    from ..chat.pictures import Picture
    from ..panel import ChatPanel
    from ..panel.headless import SavedPanel
    from ..protocols import Cap
    from ..tools.loop import ToolLoop

#: how errors name a Send (a cache miss, a credential, the cost cap), as its advice does
WHERE = PANEL.text


class KernelDoor:
    """The panel's :class:`~ygpt_magic.panel.Door` in a kernel: a Send by the cell's rules."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def prepare(self, text: str) -> tuple[str, tuple[str, ...], tuple[Picture, ...]]:
        """References filled in and checked the way a cell's are; pictures among them found."""
        from ..context import images

        expanded = request.expand(self.kernel, text, where=WHERE)
        found = images.pictures(None, self.kernel.namespace, self.kernel.cells, expanded.pictures)
        return expanded.text.strip("\n"), expanded.notes, found

    def front(self, prompt: str) -> Front | None:
        return request.front(self.kernel, prompt, WHERE)

    def tools(self, plan: Plan) -> ToolLoop | None:
        return request.tool_loop(self.kernel, plan)

    def cap(self, plan: Plan, front: Front | None) -> Cap | None:
        """The cell's cap (``max_cost_per_cell``; the panel has no ``--max-cost``), on a stream."""
        from .. import cost_cap

        return cost_cap.request_cap(self.kernel, plan, request.tokenizer(self.kernel, front), "stream",
                                    None, where=WHERE)

    def answered(self, plan: Plan, reply: Reply) -> None:
        request.answered(self.kernel, f"the panel, chat '{plan.chat}'", plan.prompt, reply)


@subcommand
@chat_arg("The chat to show first (default: current).")
@argument("--side", action="store_true",
          help="Open it in JupyterLab's side area, beside the notebook (needs the sidecar package).")
def run(kernel: Kernel, line: str) -> ChatPanel | SavedPanel | None:
    """Open the chat panel (ipywidgets).

    It edits the same chats as the %%ygpt cells and uses the same server."""
    args = parse(run, line)
    from ..panel import show_panel  # ipywidgets is only imported when a panel is asked for
    from ..panel.carried import stored
    from ..panel.headless import SavedPanel
    from ..panel.side import NO_SIDE_AREA, beside

    show_beside = beside() if args.side and not headless() else None  # a missing sidecar: said before any widget
    saved = saved_cell(kernel.namespace.get("__session__"), kernel.cell_id) or {}
    panel = show_panel(kernel.session, kernel.connection.client, chat=args.chat,
                       settings=lambda: kernel.settings, watch=kernel.on_settings, door=KernelDoor(kernel),
                       secrets=kernel.connection.known_secrets, earlier=stored(saved.get("outputs") or ()))
    for said in panel.brought_back:
        print(said)
    if isinstance(panel, SavedPanel):   # a run no page draws: no side area either
        if args.side:
            print(NO_SIDE_AREA)
        return panel
    if show_beside is None:
        return panel
    print(show_beside(panel))
    return None
