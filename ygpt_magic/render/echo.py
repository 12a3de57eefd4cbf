"""The plain text of a lasting output, sent again for frontends that ignore display updates.

A streamed reply reaches its cell's live display only as ``update_display_data``, and a ``--map``
summary only as an update of its bar's display. The messaging spec lets a frontend ignore those
updates, and ``jupyter console`` and ``papermill --log-output`` do: they showed nothing of a reply
and a bar stuck at 0 %. So as an output that stays is put into a live display, its plain text is
sent just before, as a display of its own under an empty HTML form (the update stays the cell's
last message, the one that carries the provenance): such a frontend prints the text,
and one that draws HTML (JupyterLab, Notebook 7, VS Code, an HTML or Markdown export) draws
nothing for it. It is marked live-only, so a notebook saved by Jupyter (saving.py) or the demo
keeps one copy.

Why not end the live display with an empty update and send the final form as a new display:
JupyterLab drew a frame between the two messages, the reply gone for that frame, on every try
(tests/test_browser_switch.py records every frame it draws). Here each message leaves a page
that reads right on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..saving import LIVE_ONLY
from .forms import HTML


def echo(plain: str, display: Callable[..., Any] | None = None) -> None:
    """Send ``plain`` as a display of its own that only a frontend ignoring display updates shows
    (module docstring). ``display``: the cell's display function, IPython's if None."""
    if display is None:
        from IPython.display import display as ipython_display

        display = ipython_display
    display({HTML: "", "text/plain": plain}, raw=True, metadata=LIVE_ONLY)
