"""A notebook that continues a saved chat (`%ygpt load chats.json` … `%ygpt save chats.json`) and is
run headless (nbconvert, papermill, a scheduler: nbclient sends no cell id, nor anything else of
the cell) cannot rewind a cell's turn as JupyterLab does, so every run adds the same turn again.
The cell says so, above its reply, instead of growing the chat and the bill silently."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from conftest import cell
from nbclient import NotebookClient

from ygpt_magic.demo import local_environment

ASK = "Summarise today's numbers in one line"
NOTE = ("⚠ Turn 2 of chat 'default', loaded from a file, asked this already, and this cell adds it "
        "again: no cell id came with it (nbconvert, papermill and nbval send none)")


def yesterdays_chat(path: Path) -> None:
    """A chat file holding one turn, as an earlier run saved it."""
    path.write_text(json.dumps({"version": 1, "current": "default", "chats": [{
        "name": "default", "system": None, "options": {}, "turns": [{
            "prompt": "Hello", "cell_id": None, "reply": {
                "text": "Hi!", "status": "FINAL", "model": "yandexgpt", "model_version": "23.10.2024",
                "elapsed": 0.1, "usage": {"input_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}}]}]}),
        encoding="utf-8")


def test_a_cell_without_an_id_that_asks_a_loaded_question_again_says_the_chat_grows(shell, tmp_path):
    chats = tmp_path / "chats.json"
    yesterdays_chat(chats)
    for run in (1, 2):   # two days of the same notebook, each in a new kernel's chats
        cell(shell, "%ygpt reset --all")
        assert cell(shell, f"%ygpt load {chats}").ok
        asked = cell(shell, f"%%ygpt\n{ASK}")   # no cell id: nbclient's, a terminal's
        assert asked.ok, asked.message
        assert cell(shell, f"%ygpt save {chats}").ok
    assert NOTE in asked.page, asked.page   # the second run repeats the first run's turn
    assert "save to another file than the one you load, or ask with --once." in asked.page
    prompts = [turn["prompt"] for turn in json.loads(chats.read_text())["chats"][0]["turns"]]
    assert prompts == ["Hello", ASK, ASK]

    cell(shell, "%ygpt reset --all")   # JupyterLab sends the cell's id: a re-run, no note
    assert cell(shell, f"%ygpt load {chats}").ok
    assert NOTE not in cell(shell, f"%%ygpt\n{ASK}", cell_id="summary").page


def test_a_dry_run_of_a_cell_without_an_id_asking_a_loaded_question_says_running_it_would_add_it(shell, tmp_path):
    """A dry run adds nothing, but its note said "this cell adds it again"."""
    chats = tmp_path / "chats.json"
    yesterdays_chat(chats)
    cell(shell, "%ygpt reset --all")
    assert cell(shell, f"%ygpt load {chats}").ok
    assert cell(shell, f"%%ygpt\n{ASK}").ok   # yesterday's run, saved as turn 2
    assert cell(shell, f"%ygpt save {chats}").ok
    cell(shell, "%ygpt reset --all")
    assert cell(shell, f"%ygpt load {chats}").ok
    before = cell(shell, "%ygpt history").plain
    dry = cell(shell, f"%%ygpt --dry-run\n{ASK}")
    assert dry.ok, dry.message
    assert ("⚠ Turn 2 of chat 'default', loaded from a file, asked this already, and running this cell "
            "would add it again: no cell id came with it") in dry.plain_page, dry.plain_page
    assert "this cell adds it again" not in dry.plain_page
    assert cell(shell, "%ygpt history").plain == before


@pytest.mark.slow   # two headless runs, each in a new kernel
def test_nbclient_runs_of_a_load_and_save_notebook_say_the_chat_grows(tmp_path):
    yesterdays_chat(tmp_path / "chats.json")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "%load_ext ygpt_magic\n%ygpt load chats.json", f"%%ygpt\n{ASK}", "%ygpt save chats.json")])
    environ: dict[str, str] = {}
    local_environment(environ)
    shown = []
    for _ in range(2):
        client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute(env={**os.environ, **environ})
        shown.append("".join(output.get("data", {}).get("text/plain", "") for output in notebook.cells[1].outputs))
    assert NOTE not in shown[0] and NOTE in shown[1], shown[1]
    assert "does not say which cell ran" not in shown[0]   # each cell runs once: test_rerun_unnamed.py
