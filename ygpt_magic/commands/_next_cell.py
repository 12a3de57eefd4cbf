"""A reply's code into a new cell below the running one, once: not again on every Run All.

JupyterLab inserts a new cell for every ``set_next_input(replace=False)``, so a saved notebook
that keeps a `%ygpt fix` (or `--format code`) cell grew by one copy of the same code at each Run
All. The kernel cannot see the notebook being edited, but it knows the running cell's id (the
frontend sends it) and the notebook's file (``__session__``, which Jupyter Server sets): when the
saved notebook's next cell after this one holds exactly this code, that cell is the one an earlier
run put there, and nothing is inserted again (one quiet line says so). Without an id or a
readable file (a terminal, nbclient, a notebook never saved) the code goes into a new cell.

Only a cell's own request puts code below it. One from a widget's callback or a thread of the
user's has no cell to put it below: IPython keeps a ``set_next_input`` made between cells, and
ipykernel attaches it to the reply of the next cell the user runs, whatever it is, so the code
appeared below an unrelated cell minutes later. Its code stays in the reply, with a line that
says how to get it into a cell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from IPython.display import display

from ..kernel import Kernel
from ..render import inert

ALREADY_BELOW = "The next cell of the saved notebook already holds this code, so no new cell was inserted."
NO_CELL = ("No cell was running when this code was asked for (a widget's callback or a thread asked), "
           "so it was not put into a new cell: copy it from the reply above into a cell.")


def put_below(kernel: Kernel, code: str) -> None:
    """``code`` into a new cell below the cell that asked, unless the saved notebook has it
    there; when no cell asked, the line that says so (module docstring)."""
    if kernel.cells.here is None:
        _say(NO_CELL)
        return
    saved = saved_next_source(kernel.namespace.get("__session__"), kernel.cell_id)
    if saved is not None and saved.strip() == code.strip():
        _say(ALREADY_BELOW)
        return
    assert kernel.shell is not None, "a reply's code goes below a cell of the shell that ran it"
    kernel.shell.set_next_input(code, replace=False)


def _say(line: str) -> None:
    display(inert.bundle(inert.quiet(line), plain=line), raw=True)


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
