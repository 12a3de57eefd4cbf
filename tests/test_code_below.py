"""A reply's code goes into a new cell once: the cell it made stays its own after the user edits
it, so a later Run All (the next day, in a new kernel) does not insert the original code again
above the user's version, and neither does Run All twice before a save."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from conftest import cell, scripted
from labrun import run_all, sources

from ygpt_magic.emulator import start_local_server

ASK = "Write a function that doubles a number"
CODE = "def double(x):\n    return 2 * x"
REPLY = f"Here it is:\n\n```python\n{CODE}\n```"
GENERATE = f"%%ygpt --once --format code\n{ASK}"
REST = "print('the rest of the notebook')"
#: the user's edit of the generated function: type hints and a docstring
EDITED = 'def double(x: int) -> int:\n    """Twice x."""\n    return 2 * x'


@pytest.mark.slow   # two Run Alls, each in a new kernel
def test_run_all_the_next_day_keeps_the_generated_cell_the_user_edited(tmp_path: Path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{"user": ASK, "reply": REPLY}]}), encoding="utf-8")
    path = tmp_path / "gen.ipynb"
    with start_local_server(scripts=[script]) as server:
        setup = f"%load_ext ygpt_magic\n%ygpt connect {server.address} --insecure"
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
            setup, GENERATE, REST)])
        nbformat.write(notebook, path)

        run_all(path)   # day 1: the code goes into a new cell below
        day1 = nbformat.read(path, as_version=4)
        generated = day1.cells[2].source
        assert CODE in generated and len(day1.cells) == 4, sources(path)
        day1.cells[2].source = generated.replace(CODE, EDITED)   # the user's edit, saved
        nbformat.write(day1, path)

        run_all(path)   # day 2: Restart & Run All, Save
    assert sources(path) == [("code", setup), ("code", GENERATE),
                             ("code", generated.replace(CODE, EDITED)), ("code", REST)]
    said = "".join(output.get("data", {}).get("text/plain", "")
                   for output in nbformat.read(path, as_version=4).cells[1].outputs)
    assert "The next cell came from this cell's reply on an earlier run, so no new cell was inserted" in said


def test_run_all_twice_before_a_save_puts_the_code_below_once(shell, tmp_path, monkeypatch):
    """The saved file lags the page: the second Run All finds no cell below in it, yet the one
    the first run inserted is there. Once the notebook is saved without it (the user deleted
    it), the code goes into a new cell again."""
    saved = tmp_path / "gen.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(GENERATE),
                                                   nbformat.v4.new_code_cell(REST)]), saved)
    generate = nbformat.read(saved, as_version=4).cells[0].id
    monkeypatch.setitem(shell.user_ns, "__session__", str(saved))
    with scripted(shell, tmp_path, ASK, REPLY):
        assert cell(shell, GENERATE, cell_id=generate).ok
        inserted = shell.rl_next_input
        assert inserted is not None and inserted.endswith(CODE)
        shell.rl_next_input = None

        again = cell(shell, GENERATE, cell_id=generate)   # Run All again, nothing saved between
        assert again.ok and shell.rl_next_input is None, again.page
        assert "put this same code into a new cell below on its last run" in again.page

        later = time.time() + 2
        os.utime(saved, (later, later))   # saved since, without that cell: the user deleted it
        assert cell(shell, GENERATE, cell_id=generate).ok
        assert shell.rl_next_input == inserted


def test_a_new_answer_goes_into_a_new_cell_above_the_one_made_before(shell, tmp_path, monkeypatch):
    """The prompt changed, so the code did: the user asked for other code and gets it, with the
    cell the earlier answer made (and their edits in it) kept below."""
    saved = tmp_path / "gen.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(GENERATE)]), saved)
    generate = nbformat.read(saved, as_version=4).cells[0].id
    monkeypatch.setitem(shell.user_ns, "__session__", str(saved))
    with scripted(shell, tmp_path, ASK, REPLY):
        assert cell(shell, GENERATE, cell_id=generate).ok
    first = shell.rl_next_input
    shell.rl_next_input = None
    triple = "def triple(x):\n    return 3 * x"
    with scripted(shell, tmp_path, "Write a function that triples a number",
                  f"```python\n{triple}\n```"):
        assert cell(shell, "%%ygpt --once --format code\nWrite a function that triples a number",
                    cell_id=generate).ok
    assert first is not None and shell.rl_next_input == first.replace(CODE, triple)
