"""Teach nbval about display updates, so it compares what a notebook user actually sees.

`%%ygpt` streams a reply into ONE display: it shows "waiting…" with a display id, then updates
that display (``update_display_data``) until the final Markdown and footer. JupyterLab and
nbclient apply those updates; nbval 0.11 drops them ("unhandled iopub msg") and would compare the
first "waiting…" frame with the stored final reply. This plugin wraps nbval's kernel so that, per
executed cell, every output from the first display with an id onwards is held back, updates are
applied to the held displays, and the cell's outputs are released, final, when the kernel goes
idle. nbval then sees exactly the outputs nbclient stores. An output only a running kernel can
draw (the panel's widget, marked live-only) is left out, as Jupyter leaves it out of a saved
notebook (ygpt_magic/saving.py) and the demo out of the stored tutorials. It changes nothing
outside nbval.

It also gives the notebooks' kernels the tutorials' environment (the local server and its
placeholders), so the suite passes whatever YC_* variables the shell running it has.

nbval also runs every cell with ``store_history=False``, so no cell gets a number: `In [N]:`,
`Out[N]` and the history `{In[N]}` reads would not exist, unlike in JupyterLab and nbclient
(which stored the outputs). Cells are run numbered here, as Jupyter runs them.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any

from nbval.kernel import RunningKernel

from ygpt_magic.demo import local_environment
from ygpt_magic.saving import is_live_only

_plain_get_message = RunningKernel.get_message


class _DisplayBuffer:
    """Holds one cell's iopub messages until idle, applying display updates to them."""

    def __init__(self) -> None:
        self.ready: deque[dict[str, Any]] = deque()
        self.held: dict[str, list[dict[str, Any]]] = {}   # parent msg id → held messages

    def feed(self, msg: dict[str, Any]) -> None:
        parent = msg["parent_header"].get("msg_id", "")
        kind = msg["msg_type"]
        if kind == "display_data" and is_live_only(msg["content"]):
            return  # not in the stored notebook either: Jupyter saves without it (ygpt_magic/saving.py)
        if kind == "update_display_data":
            self._apply_update(msg)
        elif kind == "status" and msg["content"].get("execution_state") == "idle":
            self.ready.extend(self.held.pop(parent, []))
            self.ready.append(msg)
        elif parent in self.held:
            self.held[parent].append(msg)
        elif kind == "display_data" and _display_id(msg):
            self.held[parent] = [msg]
        else:
            self.ready.append(msg)

    def _apply_update(self, update: dict[str, Any]) -> None:
        # An update for a display of an earlier cell (nothing held) has no output to change here.
        display_id = _display_id(update)
        for messages in self.held.values():
            for msg in messages:
                if msg["msg_type"] == "display_data" and _display_id(msg) == display_id:
                    msg["content"] = {**msg["content"], "data": update["content"]["data"],
                                      "metadata": update["content"].get("metadata", {})}


def _display_id(msg: dict[str, Any]) -> str | None:
    return msg["content"].get("transient", {}).get("display_id")


def _get_message(self: RunningKernel, stream: str, timeout: float | None = None) -> dict:
    if stream != "iopub":
        return _plain_get_message(self, stream, timeout)
    buffer = self.__dict__.setdefault("_ygpt_display_buffer", _DisplayBuffer())
    while not buffer.ready:
        buffer.feed(_plain_get_message(self, stream, timeout))
    return buffer.ready.popleft()


RunningKernel.get_message = _get_message


def _execute_cell_input(self: RunningKernel, cell_input: str, allow_stdin: bool | None = None) -> str:
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)


RunningKernel.execute_cell_input = _execute_cell_input


def pytest_configure(config) -> None:
    """nbval's kernels inherit this process's environment: give them the tutorials' one (the
    local server, its placeholder key and folder), whatever the shell running the tests has."""
    local_environment(os.environ)
