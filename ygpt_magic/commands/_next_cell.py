"""A reply's code into a new cell below the running one, once: not again on every Run All.

JupyterLab inserts a new cell for every ``set_next_input(replace=False)``, so a saved notebook
that keeps a `%ygpt fix` (or `--format code`) cell grew by one copy of the same code at each Run
All. The kernel cannot see the notebook being edited, but it knows the running cell's id (the
frontend sends it) and the notebook's file (``__session__``, which Jupyter Server sets): when the
saved notebook's next cell after this one holds exactly this code, that cell is the one an earlier
run put there, and nothing is inserted again (one quiet line says so). Without an id or a
readable file (a terminal, nbclient, a notebook never saved) the code goes into a new cell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from IPython.display import display

from ..kernel import Kernel
from ..render import inert

ALREADY_BELOW = "The next cell of the saved notebook already holds this code, so no new cell was inserted."


def put_below(kernel: Kernel, code: str) -> None:
    """``code`` into a new cell below the running one, unless the saved notebook has it there."""
    saved = saved_next_source(kernel.namespace.get("__session__"), kernel.cell_id)
    if saved is not None and saved.strip() == code.strip():
        display(inert.bundle(inert.quiet(ALREADY_BELOW), plain=ALREADY_BELOW), raw=True)
        return
    assert kernel.shell is not None, "a reply's code goes below a cell of the shell that ran it"
    kernel.shell.set_next_input(code, replace=False)


def saved_next_source(notebook: Any, cell_id: str | None) -> str | None:
    """The source of the code cell right after cell ``cell_id`` in the notebook saved at
    ``notebook``; None when there is no such file, cell or next code cell."""
    if not cell_id or not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
        return None
    cells = _cells(Path(notebook))
    ids = [cell.get("id") for cell in cells]
    if cell_id not in ids or ids.index(cell_id) + 1 >= len(cells):
        return None
    following = cells[ids.index(cell_id) + 1]
    if following.get("cell_type") != "code":
        return None
    source = following.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _cells(path: Path) -> list[dict[str, Any]]:
    """The cells of a saved notebook ([] if it cannot be read: then the code is inserted)."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [cell for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []
