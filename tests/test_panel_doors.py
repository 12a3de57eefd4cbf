"""A panel Send is a door like a cell (DESIGN.md, "The spine"): it refers to the notebook's cells,
is held to the cost cap, and its reply is listed by ``%ygpt provenance``, the way a cell's is.

Every test opens ``%ygpt panel`` in the real shell, types into it as the browser would, and
asserts what the panel's status line says and what the local server received.
"""

from __future__ import annotations

import html

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell, completions
from test_panel import bubbles, send, widget_comm  # noqa: F401 (widget_comm: a fixture)

from ygpt_magic.errors import CostOverCap

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


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
    for _ in range(2):   # cells ran before, whichever tests ran first (the shell is shared)
        assert cell(shell, "x = 1").ok
    panel = opened(shell)
    try:
        last = len(shell.history_manager.input_hist_raw) - 1
        status = sent(panel, f"What is {{Out[{last + 1}]}}?")
        assert f"no cell {last + 1} has run yet: the cells that ran are 1 to {last}" in status
        assert "this cell itself" not in status and not completions(ygpt_server)
    finally:
        panel.close()


# -- the cost cap ---------------------------------------------------------------------------------

@pytest.fixture
def capped(shell):
    """``YGptMagics.max_cost_per_cell`` far below what any request costs."""
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = 0.0001")
    yield
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = None")


def test_the_cost_cap_refuses_a_send_as_it_refuses_the_same_cell(shell, ygpt_server, capped):
    assert_clear_error(cell(shell, "%%ygpt\nTell me about the sea"), "over the cap of 0.0001",
                       error_type=CostOverCap)
    panel = opened(shell, "--chat sea")
    try:
        status = sent(panel, "Tell me about the sea")
        assert "the panel's message: Estimated cost" in status, status
        assert "over the cap of 0.0001 ₽" in status and "max_cost_per_cell" in status
        assert completions(ygpt_server) == [], "nothing was sent"
        assert panel.input.value == "Tell me about the sea", "the text is given back to send again"
        assert bubbles(panel) == []
        shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = 1000")
        assert sent(panel, "Tell me about the sea") == ""
        assert len(completions(ygpt_server)) == 1
    finally:
        panel.close()


# -- provenance -----------------------------------------------------------------------------------

def test_a_sends_reply_is_listed_by_provenance_as_the_panels(shell, ygpt_server):
    panel = opened(shell, "--chat sea")
    try:
        assert sent(panel, "Tell me about the sea") == ""
    finally:
        panel.close()
    assert "sea | 1 |" in cell(shell, "%ygpt usage").page
    shown = cell(shell, "%ygpt provenance").page
    assert "the panel, chat 'sea' (“Tell me about the sea”)" in shown, shown
