"""A notebook run headless (nbclient: `jupyter execute`, `jupyter nbconvert --execute`,
papermill) whose ygpt cell fails: the cell's error is an error output with our paragraph, so the
run's log says why. papermill builds its exception, all a CI log shows, from the cell's error
output alone; an error shown as a UsageError goes to stderr and has none, so the log said
`Exception encountered at "In [2]":` and nothing more."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # a fresh kernel
ROOT = Path(__file__).resolve().parent.parent


def test_a_failing_cell_of_a_headless_run_has_an_error_output_saying_what_to_do(tmp_path):
    import nbclient
    import nbformat

    cells = ["%load_ext ygpt_magic", "%%ygpt\nHello!", "print('after')"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    env.update(YC_FOLDER_ID="b1gheadless", PYTHONPATH=str(ROOT), PATH="/usr/bin:/bin")   # no key, no `yc`
    with pytest.raises(nbclient.exceptions.CellExecutionError) as failed:
        nbclient.NotebookClient(notebook, timeout=90, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)

    (error,) = notebook.cells[1].outputs   # the error alone: nothing on stderr beside it
    assert error["output_type"] == "error", error
    assert "Set YC_API_KEY" in error["evalue"] and error["ename"] != "UsageError", error
    assert error["traceback"] == [f"{error['ename']}: {error['evalue']}"]   # one line, no traceback
    assert "Set YC_API_KEY" in str(failed.value)   # what nbclient, nbconvert and papermill print
    assert not notebook.cells[2].outputs   # the run stopped there
