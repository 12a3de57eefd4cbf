"""The notebook as last saved, read by the kernel: its cells, found by the running cell's id.

The kernel cannot see the notebook being edited, but it knows the running cell's id (the
frontend sends it) and the notebook's file (``__session__``, which Jupyter Server sets). What a
command reads there: the cell after the running one (`_next_cell.py`: code an earlier run put
below it) and the running cell's own saved outputs (`%ygpt panel`: the turns of its saved view).
Without an id or a readable file (a terminal, nbclient, a notebook never saved) there is none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def saved_cell(notebook: Any, cell_id: str | None, offset: int = 0) -> dict[str, Any] | None:
    """The cell ``offset`` places after cell ``cell_id`` in the notebook saved at ``notebook``
    (``__session__``'s value); None when there is no such file or cell."""
    if not cell_id or not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
        return None
    cells = _cells(Path(notebook))
    ids = [cell.get("id") for cell in cells]
    if cell_id not in ids or not 0 <= ids.index(cell_id) + offset < len(cells):
        return None
    return cells[ids.index(cell_id) + offset]


def _cells(path: Path) -> list[dict[str, Any]]:
    """The cells of a saved notebook ([] if it cannot be read)."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [cell for cell in cells if isinstance(cell, dict)] if isinstance(cells, list) else []
