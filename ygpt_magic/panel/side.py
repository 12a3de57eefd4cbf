"""``%ygpt panel --side``: the panel in JupyterLab's side area, beside the notebook.

In a cell's output the panel scrolls away with the notebook. jupyter-widgets' ``sidecar`` is an
Output widget that JupyterLab draws in its side area; the panel's widget view goes into it (not
through ``display``, which would also show the saved view meant for a cell, panel/saved.py).
Nothing of it is stored in the notebook, so a reopened notebook has no widget to miss there.
The tab's title names no chat: JupyterLab's sidecar reads ``title`` once, when it opens the tab,
and never again, so a chat name there would go stale after a rename, a pick in the chat list or a
delete; the panel's own header names the chat it shows.

Only JupyterLab's shell has that side area: in Notebook 7 sidecar's view fails in the browser and
nothing appears, and the kernel is never told. So the cell's line says where the tab shows and
what to use elsewhere, rather than promise a panel the frontend may not draw. A run no page draws
(saving.headless) has no side area and builds no widget (panel/headless.py): there the cell says
so (:data:`NO_SIDE_AREA`) and shows the panel's saved view, and sidecar is not needed.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SidecarMissing
from .panel import ChatPanel
from .style import SIDE_CLASS

#: the side-area tab's title (see above for why no chat name)
TITLE = "ygpt chat"
#: where the tab shows, and what to use where it cannot: sidecar draws only in JupyterLab's shell
#: (Notebook 7, VS Code and a headless run draw nothing and report nothing the kernel could see)
WHERE = (f"The '{TITLE}' tab shows only in JupyterLab; in Notebook 7 or another frontend no tab "
         f"appears, so run %ygpt panel there for the panel in the cell's output.")
#: ``--side`` in a run no page draws: what the saved notebook says instead of a tab it never had
NO_SIDE_AREA = ("No page draws this run (jupyter execute, nbconvert --execute, papermill), so no side tab "
                "opens: the panel's saved view is below. Run %ygpt panel --side in JupyterLab for the tab.")


def beside() -> Callable[[ChatPanel], str]:
    """How to show a panel in a new side-area tab (it returns the line the cell shows); checked
    before the panel is built, so a missing sidecar builds no widget for nothing."""
    try:
        from sidecar import Sidecar
    except ImportError:
        raise SidecarMissing() from None

    def show(panel: ChatPanel) -> str:
        side = Sidecar(title=TITLE)
        panel.add_class(SIDE_CLASS)  # its words once its kernel is gone (panel/style.py)
        side.outputs = ({"output_type": "display_data", "data": panel._repr_mimebundle_(), "metadata": {}},)
        # stored with the notebook: true when read again later, with no kernel behind it; and true
        # in any frontend, as the kernel cannot see which one draws it (WHERE)
        return (f"Opened the panel for chat '{panel.chat_name}' in JupyterLab's side area; it lasts "
                f"as long as this kernel (run %ygpt panel --side again to reopen it). {WHERE}")

    return show
