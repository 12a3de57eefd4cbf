"""Only a later run of a cell is a re-run: several %%ygpt requests made by ONE run of a JupyterLab
cell (a loop of run_cell_magic, `%run` of a notebook with two %%ygpt cells) are several turns of
the conversation, and running that cell again replaces all of them."""

from __future__ import annotations

import nbformat
from conftest import cell, completions

LOOP = '''for q in ["My name is Ann.", "What is my name?"]:
    get_ipython().run_cell_magic("ygpt", "", q)
'''


def _prompts(magics, chat: str = "default") -> list[str]:
    return [turn.prompt for turn in magics.kernel.session.chats[chat].turns]


def _sent_texts(server) -> list[str]:
    return [message["text"] for message in completions(server)[-1].messages]


def test_a_loop_in_one_cell_keeps_every_turn_and_says_no_rerun(shell, magics, ygpt_server):
    run = cell(shell, LOOP, cell_id="loop")
    assert run.ok, run.message
    assert "Re-ran this cell" not in run.page, run.page
    assert _sent_texts(ygpt_server)[0] == "My name is Ann."        # the 2nd request took the 1st turn
    assert len(_sent_texts(ygpt_server)) == 3
    assert _prompts(magics) == ["My name is Ann.", "What is my name?"]


def test_running_the_loop_cell_again_replaces_both_of_its_turns(shell, magics, ygpt_server):
    assert cell(shell, "%%ygpt\nBefore the loop.", cell_id="first").ok
    assert cell(shell, LOOP, cell_id="loop").ok
    again = cell(shell, LOOP, cell_id="loop")
    assert again.ok, again.message
    assert "↺ Re-ran this cell: its previous turn and 1 later turn were dropped" in again.page, again.page
    assert _prompts(magics) == ["Before the loop.", "My name is Ann.", "What is my name?"]
    assert _sent_texts(ygpt_server)[0] == "Before the loop."
    assert len(_sent_texts(ygpt_server)) == 5


def test_run_of_a_notebook_with_two_ygpt_cells_keeps_both_turns(shell, magics, ygpt_server, tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("%%ygpt\nMy name is Ann."),
                      nbformat.v4.new_code_cell("%%ygpt\nWhat is my name?")]
    path = tmp_path / "steps.ipynb"
    nbformat.write(notebook, str(path))
    run = cell(shell, f"%run {path}", cell_id="run-cell")
    assert run.ok, run.message
    assert "Re-ran this cell" not in run.page, run.page
    assert _prompts(magics) == ["My name is Ann.", "What is my name?"]
    assert len(_sent_texts(ygpt_server)) == 3


def test_a_cell_run_again_still_rewinds_its_single_turn(shell, magics, ygpt_server):
    assert cell(shell, "%%ygpt\nA1: hello", cell_id="A1").ok
    assert cell(shell, "%%ygpt\nA2: next", cell_id="A2").ok
    rerun = cell(shell, "%%ygpt\nA1: hello again", cell_id="A1")
    assert "↺ Re-ran this cell: its previous turn and 1 later turn were dropped" in rerun.page, rerun.page
    assert _prompts(magics) == ["A1: hello again"]
    assert _sent_texts(ygpt_server) == ["A1: hello again"]
