"""What a saved notebook keeps of outputs that only a running kernel can draw.

An ipywidgets view in a stored notebook points at a model that lives in the kernel; reopened
later with a new kernel, JupyterLab shows "Error displaying widget: model not found" in its place
(a trusted output is always drawn by the widget renderer, whatever fallback the output carries).
So an output that makes sense only live (the chat panel's widget) is marked ``LIVE_ONLY``, and a
Jupyter server extension (enabled by ``etc/jupyter/jupyter_server_config.d/ygpt_magic.json``,
installed with the package) drops marked outputs from the file as it is saved; the page keeps
showing them. What stays in the file is the output beside it that can be read without a kernel
(the panel's saved view, panel/saved.py). A part of that view with nothing to show yet is marked
too, so the file holds no blank output. A notebook run headless (:func:`headless`) is saved by
no Jupyter server: there the panel displays its saved view alone, as one output.
"""

from __future__ import annotations

import os
from typing import Any

#: output metadata marking an output that only a running kernel can draw (or that shows nothing)
LIVE_ONLY = {"ygpt_magic": {"live_only": True}}


def headless() -> bool:
    """Whether the cell running now came from a client that draws no page and saves what it
    ran itself: nbclient (``jupyter execute``, ``jupyter nbconvert --execute``, papermill), which
    takes no input, so its requests say ``allow_stdin`` false (JupyterLab, Notebook and VS Code
    take input). No pre-save hook drops live-only outputs from the file it writes, and no page
    hides them: an output there must be one a reader of the file needs. Voilà runs a notebook
    the same way but draws its widgets live for a visitor (a chat panel is a dashboard's whole
    point there): it names itself in the kernel's ``SERVER_SOFTWARE`` (``voila/0.5.8``)."""
    from IPython import get_ipython

    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent") or _in_voila():
        return False
    return kernel.get_parent().get("content", {}).get("allow_stdin") is False


def _in_voila() -> bool:
    return os.environ.get("SERVER_SOFTWARE", "").startswith("voila/")


def is_live_only(output: dict[str, Any]) -> bool:
    return bool(output.get("metadata", {}).get("ygpt_magic", {}).get("live_only"))


def drop_live_outputs(model: dict[str, Any], **_: Any) -> None:
    """The pre-save hook: a notebook is written without its live-only outputs."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    for cell in model["content"].get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", []) if not is_live_only(o)]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "ygpt_magic.saving"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Registered beside any hook the user configured (``register_pre_save_hook``)."""
    serverapp.contents_manager.register_pre_save_hook(drop_live_outputs)
