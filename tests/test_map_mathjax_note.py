"""The note a --map run prints when it turns MathJax off in pandas tables: one calm line a
notebook shows without wrapping, saying what changed and how to undo it (learner L5)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import cell

OPTION = "display.html.use_mathjax"
#: about what a JupyterLab output shows on one line at its default width (the old note wrapped mid-word at 108)
WIDTH = 100


@pytest.fixture
def mathjax_on():
    pd.set_option(OPTION, True)
    yield
    pd.reset_option(OPTION)


@pytest.mark.usefixtures("mathjax_on")
def test_the_mathjax_note_is_one_short_line_with_its_undo(shell, ygpt_server):
    shell.user_ns["items"] = ["one review"]
    run = cell(shell, "%%ygpt --map items --out answers\n{item}")
    assert run.ok, run.message
    (note,) = [line for line in run.stdout.splitlines() if "pandas tables" in line]
    assert len(note) <= WIDTH, f"{len(note)} characters: {note}"
    assert "$…$ as written" in note and f"pd.set_option('{OPTION}', True)" in note, note
    assert pd.get_option(OPTION) is False
