"""A panel Send is a door like a cell (DESIGN.md, "The spine"): it refers to the notebook's cells,
is held to the cost cap, and its reply is listed by ``%ygpt provenance``, the way a cell's is.

Every test opens ``%ygpt panel`` in the real shell, types into it as the browser would, and
asserts what the panel's status line says and what the local server received.
"""

from __future__ import annotations

import html

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions
from test_panel import send, widget_comm  # noqa: F401 (widget_comm: a fixture)

pytestmark = [pytest.mark.filterwarnings(*LOST_EXCEPTIONS), pytest.mark.usefixtures("fresh_names")]


def opened(shell, line: str = ""):
    """``%ygpt panel LINE`` run as a cell, as a user opens it; the panel it returned."""
    run = cell(shell, f"%ygpt panel {line}")
    assert run.ok, run.message
    return shell.user_ns["Out"][max(shell.user_ns["Out"])]


def sent(panel, text: str) -> str:
    """Type ``text`` into ``panel`` and press Enter; its status line once the reply (or the
    refusal) came."""
    send(panel, text)
    assert panel.wait(15)
    return html.unescape(panel.status.value)


# -- the notebook's cells -------------------------------------------------------------------------

def test_a_send_refers_to_the_output_of_the_cell_that_ran_just_before(shell, ygpt_server):
    panel = opened(shell)
    try:
        cell(shell, "total = 41 + 1\ntotal")
        last = max(shell.user_ns["Out"])
        assert shell.user_ns["Out"][last] == 42
        assert sent(panel, f"Is {{Out[{last}]}} the answer to everything?") == ""
        assert completions(ygpt_server)[-1].messages[-1]["text"] == "Is 42 the answer to everything?"
    finally:
        panel.close()


def test_a_send_refers_to_the_source_of_the_cell_that_ran_just_before(shell, ygpt_server):
    panel = opened(shell)
    try:
        cell(shell, "def area(r):\n    return 3.14 * r * r")
        last = len(shell.history_manager.input_hist_raw) - 1
        assert sent(panel, f"Review this function: {{In[{last}]}}") == ""
        assert "return 3.14 * r * r" in completions(ygpt_server)[-1].messages[-1]["text"]
    finally:
        panel.close()


def test_a_send_that_refers_to_a_cell_not_run_yet_is_told_which_ran(shell, ygpt_server):
    panel = opened(shell)
    try:
        last = len(shell.history_manager.input_hist_raw) - 1
        status = sent(panel, f"What is {{Out[{last + 1}]}}?")
        assert f"no cell {last + 1} has run yet: the cells that ran are 1 to {last}" in status
        assert "this cell itself" not in status and not completions(ygpt_server)
    finally:
        panel.close()
