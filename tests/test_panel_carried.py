"""The turns a panel's saved view carries to a later kernel, in the real shell: brought back,
kept where the chat cannot hold them, and never brought back over what this kernel's user did.

Each story writes the saved notebook a kernel before this one left (the panel cell's saved view
with its turns, panel/carried.py), gives the shell its path as Jupyter Server gives a kernel
``__session__``, and runs the cells with their ids. test_panel_reopen.py tells the whole story
through real kernels; here the shell's panels are widgets over test_panel's recording comm.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TEST_KEY, cell
from test_panel import bubbles, saved_text, widget_comm  # noqa: F401 (widget_comm: a fixture)

from ygpt_magic.chat import Reply, Turn, Usage
from ygpt_magic.panel.carried import record

ASKED = "Tell me about his childhood in Ulm"
CELLS = [("ask", "%%ygpt\nWho was Einstein?"), ("later", "%%ygpt\nAnd Marie Curie?")]


def turn(prompt: str, reply: str, cell_id: str | None = None) -> Turn:
    return Turn(prompt, Reply(text=reply, status="FINAL", model="yandexgpt", model_version="23.10.2024",
                              elapsed=0.4, usage=Usage(20, 10, 0, 30)), cell_id)


def saved_notebook(path: Path, turns: list[Turn], session: str = "a kernel before this one") -> None:
    """The notebook as an earlier kernel saved it: the panel cell's saved view carries ``turns``."""
    view = {"output_type": "display_data", "data": {"text/plain": "Saved view of chat 'default'"},
            "metadata": record(session, {"default": turns}, {}, str)}
    cells = [{"cell_type": "code", "id": cell_id, "source": source, "metadata": {}, "outputs": [],
              "execution_count": None} for cell_id, source in [*CELLS, ("panel", "%ygpt panel")]]
    cells[-1]["outputs"] = [view]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


@pytest.fixture
def notebook(shell, tmp_path):
    path = tmp_path / "talk.ipynb"
    shell.user_ns["__session__"] = str(path)
    return path


def prompts(shell) -> list[str]:
    return [t.prompt for t in shell.magics_manager.registry["YGptMagics"].kernel.session.chat("default").turns]


def test_a_panel_turn_dropped_by_a_rerun_cell_is_kept_in_the_view_and_can_be_brought_back(shell, notebook):
    """Run All with the panel cell above the cell asked before the panel's turn: the panel brings
    both back, the re-run cell below rewinds past them, and the panel's turn is kept, not lost."""
    saved_notebook(notebook, [turn("Who was Einstein?", "A physicist.", "ask"),
                              turn("And Marie Curie?", "A chemist.", "later"), turn(ASKED, "He was born in Ulm.")])
    assert cell(shell, CELLS[0][1], cell_id="ask").ok
    opened = cell(shell, "%ygpt panel", cell_id="panel")
    panel = shell.user_ns["_"]
    try:
        assert "Brought back 2 turns to chat 'default'" in opened.stdout, opened.shown
        assert prompts(shell) == ["Who was Einstein?", "And Marie Curie?", ASKED]
        assert cell(shell, CELLS[1][1], cell_id="later").ok   # rewinds its turn and the one after it
        assert prompts(shell) == ["Who was Einstein?", "And Marie Curie?"]
        saved = saved_text(panel)
        assert "1 turn asked in the panel is not in chat 'default' in this kernel" in saved and ASKED in saved
        assert "He was born in Ulm." in panel.transcript.widget.children[0].children[-1].children[0].outputs[0][
            "data"]["text/plain"]
        panel.bring_back()
        assert prompts(shell) == ["Who was Einstein?", "And Marie Curie?", ASKED]
        assert "not in chat" not in saved_text(panel) and bubbles(panel)[-2] == ("user", ASKED)
    finally:
        panel.close()


def test_a_view_this_kernel_drew_brings_nothing_back_over_a_reset(shell, notebook):
    """The panel cell run again after `%ygpt reset`, with the notebook saved in between: the
    chat stays as the user left it."""
    assert cell(shell, CELLS[0][1], cell_id="ask").ok
    first = shell.run_line_magic("ygpt", "panel")
    turns = list(shell.magics_manager.registry["YGptMagics"].kernel.session.chat("default").turns)
    saved_notebook(notebook, turns, session=shell.magics_manager.registry["YGptMagics"].kernel.session.id)
    first.close()
    assert cell(shell, "%ygpt reset").ok
    again = cell(shell, "%ygpt panel", cell_id="panel")
    shell.user_ns["_"].close()
    assert "Brought back" not in again.shown and prompts(shell) == []


def test_the_turns_a_view_carries_are_checked_and_masked_as_a_chat_file(shell, notebook):
    """The record is the chat file's format, read as %ygpt load reads one: a bad one carries
    nothing (the cell opens its panel as before), and no credential is written into it."""
    saved_notebook(notebook, [turn(ASKED, "He was born in Ulm.")])
    data = json.loads(notebook.read_text())
    data["cells"][-1]["outputs"][0]["metadata"]["ygpt_magic"]["panel"]["chats"]["chats"][0]["turns"][0][
        "reply"]["usage"] = "lots"
    notebook.write_text(json.dumps(data))
    opened = cell(shell, "%ygpt panel", cell_id="panel")
    shell.user_ns["_"].close()
    assert opened.ok and "Brought back" not in opened.shown and prompts(shell) == []

    session = shell.magics_manager.registry["YGptMagics"].kernel.session
    session.load_dict({"version": 1, "current": "default", "chats": [{
        "name": "default", "system": None, "options": {},
        "turns": [{"prompt": "Is this my key?", "cell_id": None, "reply": {
            "text": f"It is {TEST_KEY}.", "status": "FINAL", "model": "yandexgpt", "model_version": "1",
            "elapsed": 0.1, "usage": {"input_tokens": 1, "completion_tokens": 1, "reasoning_tokens": 0,
                                      "total_tokens": 2}}}]}]})
    panel = shell.run_line_magic("ygpt", "panel")
    written = json.dumps([metadata for _, metadata in panel._saved_now()])
    panel.close()
    assert TEST_KEY not in written and "Is this my key?" in written
