"""Run All twice on a saved tutorial, as JupyterLab does it, and its cells are as they were.

JupyterLab sends each cell's id with its execute request, starts the kernel with the notebook's
path and turns a reply's ``set_next_input`` payload into a new cell under the cell that ran.
nbclient does none of that, so a notebook executed by it never shows what a user's Run All does
to the cells (tutorial 05's `%ygpt fix` added a copy of its corrected code on every run). Here
each tutorial is run with those three frontend behaviours added (labrun.py), saved, run again
in a new kernel, and the cells' count and sources are the stored ones both times.

Only a reply's code put below its cell (``set_next_input``: `%ygpt fix`, ``--format code``,
commands/_next_cell.py) adds a cell, and only the panel reads the saved notebook back
(panel/carried.py), so the tutorials that have one of them are run; the others cannot change
their cells this way, and each Run All of one is a kernel and a few seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from labrun import run_all, sources

#: what in a code cell puts code below it or reads the saved notebook back
CHANGES_CELLS = ("%ygpt fix", "--format code", "%ygpt panel")


def _changes_cells(path: Path) -> bool:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(mark in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"
               for mark in CHANGES_CELLS)


NOTEBOOKS = [path for path in sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
             if _changes_cells(path)]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stored", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_run_all_twice_leaves_the_cells_as_they_were(stored: Path, tmp_path: Path):
    path = tmp_path / stored.name
    shutil.copy(stored, path)
    for run in ("first", "second"):
        run_all(path)
        assert sources(path) == sources(stored), f"the {run} Run All changed the cells of {stored.name}"
