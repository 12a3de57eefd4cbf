"""A reply's code into a new cell below the running one, once: not again on every Run All.

JupyterLab inserts a new cell for every ``set_next_input(replace=False)``, so a saved notebook
that keeps a `%ygpt fix` (or `--format code`) cell grew by one copy of the same code at each Run
All. A frontend keeps nothing of ours in the cell it inserts but its text (JupyterLab gives it
a new id and empty metadata), so the text carries the mark: its first line, a comment, says the
code came from the reply above, as IPython's own ``%load`` marks the code it puts in a cell. The
kernel knows the running cell's id (the frontend sends it) and the notebook's file
(``__session__``, which Jupyter Server sets): when the saved notebook's next cell after this one
(`_saved_notebook.py`) starts with the mark, edited or not, it is the cell an earlier run put
there, and nothing is inserted again (one quiet line says so). A cell that holds exactly the reply's code counts too
(one inserted before cells were marked). A cell whose code starts with a cell magic is not
marked: IPython reads ``%%`` only on a cell's first line.

The saved file lags the page: Run All twice before a save would find no cell below and insert
a second copy. So the kernel remembers the code each cell put below (``Kernel.code_below``):
the same code again, while the notebook has not been saved since it was inserted, is taken to
be there still; another code (the prompt changed) goes into a new cell, the earlier one kept.
Without an id or a readable file (a terminal, nbclient, a notebook never saved) the code goes
into a new cell.

Only a cell's own request puts code below it. One from a widget's callback or a thread of the
user's has no cell to put it below: IPython keeps a ``set_next_input`` made between cells, and
ipykernel attaches it to the reply of the next cell the user runs, whatever it is, so the code
appeared below an unrelated cell minutes later. Its code stays in the reply, with a line that
says how to get it into a cell.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from IPython.display import display

from ..kernel import Kernel
from ..render import inert, markdown
from ..render.cell_code import notebook_cell
from ._saved_notebook import saved_cell

#: the first line of a cell a reply's code was put into: how a later run knows the cell is its own
MARK = "# ygpt: code from the reply above (Run All won't insert it again while this line is here)"
ALREADY_BELOW = ("The next cell came from this cell's reply on an earlier run, so no new cell was "
                 "inserted; delete that cell and run this one again for a fresh copy.")
STILL_BELOW = ("This cell put this same code into a new cell below on its last run, and the notebook "
               "has not been saved since, so no new cell was inserted; if you deleted that cell, copy "
               "the code from the reply above.")
NO_CELL = ("No cell was running when this code was asked for (a widget's callback or a thread asked), "
           "so it was not put into a new cell: copy it from the reply above into a cell.")


def code_below_reply(kernel: Kernel, reply: str, *, corrected_cell: bool) -> None:
    """The code of ``reply`` into a new cell below (:func:`put_below`): for ``--format code``
    what a notebook runs of it (:mod:`..render.cell_code`), for ``%ygpt fix`` (``corrected_cell``)
    the one block that is the corrected cell; a line under the reply says what was left out."""
    if corrected_cell:
        code, blocks = markdown.corrected_cell(reply)
        said = _corrected_said(reply, code, blocks)
    else:
        cell = notebook_cell(reply)
        code, said = cell.code, cell.said()
    if code and not put_below(kernel, code):
        return
    if said:
        _say(said)


def _corrected_said(reply: str, code: str, blocks: int) -> str:
    """The line under a fix's reply: which block the new cell holds when there are several, or,
    when none is Python, the blocks left out (a shell one named as such) as ``--format code`` says it."""
    if not code:
        return notebook_cell(reply).said()
    return (f"The reply has {blocks} code blocks; the new cell holds the last Python one, the "
            f"corrected cell.") if blocks > 1 else ""


def put_below(kernel: Kernel, code: str) -> bool:
    """``code`` into a new cell below the cell that asked, unless a cell an earlier run put
    there is still below it; when no cell asked, the line that says so (module docstring).
    Whether it was put into a new cell."""
    here = kernel.cells.here
    if here is None:
        _say(NO_CELL)
        return False
    notebook = kernel.namespace.get("__session__")
    last = kernel.code_below.get(here.cell_id) if here.cell_id else None
    if last is None or last[0] == code:
        if _is_ours(saved_next_source(notebook, here.cell_id), code):
            kernel.code_below[str(here.cell_id)] = (code, None)
            _say(ALREADY_BELOW)
            return False
        if last is not None and last[1] is not None and not _saved_since(notebook, last[1]):
            _say(STILL_BELOW)
            return False
    if here.cell_id:
        kernel.code_below[here.cell_id] = (code, time.time())
    assert kernel.shell is not None, "a reply's code goes below a cell of the shell that ran it"
    kernel.shell.set_next_input(marked(code) if here.cell_id else code, replace=False)
    return True


def marked(code: str) -> str:
    """``code`` as it goes into a new cell: the mark on its first line (not before a cell magic).
    Only where the frontend names its cells: a terminal's next input has no Run All to guard."""
    return code if code.lstrip().startswith("%%") else f"{MARK}\n{code}"


def _is_ours(saved: str | None, code: str) -> bool:
    """Whether a cell holding ``saved`` is one a reply's code was put into: marked, or exactly
    ``code`` (inserted before cells were marked, or code that cannot be marked)."""
    return saved is not None and (saved.startswith(MARK) or saved.strip() == code.strip())


def _saved_since(notebook: Any, moment: float) -> bool:
    """Whether the notebook's file was written after ``moment`` (then it shows the page as it
    was: a cell inserted before and missing there was deleted). Unknown counts as not saved."""
    try:
        return isinstance(notebook, str) and Path(notebook).stat().st_mtime > moment
    except OSError:
        return False


def _say(line: str) -> None:
    display(inert.bundle(inert.quiet(line), plain=line), raw=True)


def saved_next_source(notebook: Any, cell_id: str | None) -> str | None:
    """The source of the code cell right after cell ``cell_id`` in the notebook saved at
    ``notebook``; None when there is no such file, cell or next code cell."""
    following = saved_cell(notebook, cell_id, 1)
    if following is None or following.get("cell_type") != "code":
        return None
    source = following.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
