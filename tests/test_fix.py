"""`%ygpt fix`: the failed cell's source and error in prompt mode, the reply streamed, the corrected
code in a new cell below; the chat untouched; the instruction visible and settable."""

from __future__ import annotations

import json
import re
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS, assert_clean, assert_clear_error, assert_interrupted
from conftest import cell, completions, scripted
from IPython.utils.capture import capture_output
from presses import ctrl_c_in
from test_magics import EINSTEIN, run_interrupted

from ygpt_magic import errors
from ygpt_magic.commands._next_cell import marked

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

FIXED = "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0"


def failing_cells(shell) -> tuple[int, int]:
    """A function and a cell that calls it and fails; their numbers."""
    define = shell.execution_count
    cell(shell, "def mean(xs):\n    return sum(xs) / len(xs)")
    failed = shell.execution_count
    cell(shell, "mean([])")
    return define, failed


def test_fix_sends_the_source_and_error_in_prompt_mode(shell, magics, ygpt_server):
    assert cell(shell, "%%ygpt\nRemember the number 7.").ok
    before = magics.kernel.session.to_dict()
    define, failed = failing_cells(shell)
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    assert_clean(result)
    messages = completions(ygpt_server)[-1].messages
    assert messages[0] == {"role": "system", "text": magics.fix_instruction}
    assert [m["role"] for m in messages] == ["system", "user"]  # no chat history
    user = messages[1]["text"]
    assert user.startswith(f"Cell {failed} fails.\n\nIts source:\n```python\nmean([])\n```\n\n"
                           "The error:\n```\nTraceback (most recent call last):\n")
    assert f'File "Cell In[{define}]", line 2, in mean' in user
    assert user.endswith(f"ZeroDivisionError: division by zero\n```\n\nThe traceback passes through code of "
                         f"cell {define}, which cell {failed} calls.\n\nCell {define}'s source (where it was "
                         f"raised):\n```python\ndef mean(xs):\n    return sum(xs) / len(xs)\n```\n\nIf the "
                         f"fix belongs in cell {define}, where it was raised, give the whole corrected cell "
                         f"{define}; if it belongs in cell {failed} (it calls cell {define}'s code wrongly), give "
                         f"the whole corrected cell {failed}. Say first which cell you correct.")  # mean: another cell
    assert magics.kernel.session.to_dict() == before  # the chat is untouched
    reply = shell.user_ns["_ygpt"]
    assert f"\n\n{reply.text}\n\n" in result.plain and result.plain.endswith(reply.summary())  # like any reply


def test_fix_n_and_extra_instructions_as_written(shell, ygpt_server):
    _, failed = failing_cells(shell)
    cell(shell, "1 / 0")  # a later failure: fix N still picks cell N
    assert cell(shell, f"%ygpt fix {failed} don't rename the function").ok
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    assert user.startswith(f"Cell {failed} fails.") and user.endswith("\n\ndon't rename the function")


def test_fix_puts_the_corrected_code_into_a_new_cell(shell, ygpt_server, tmp_path):
    _, failed = failing_cells(shell)
    cell(shell, "%ygpt fix --dry-run")
    assert not completions(ygpt_server)
    assert cell(shell, "%ygpt fix").ok
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    reply = f"An empty list has length 0.\n\n```python\n{FIXED}\n```"
    with scripted(shell, tmp_path, user, reply):
        result = cell(shell, f"%ygpt fix {failed}")
    assert result.ok, result.shown
    assert shell.rl_next_input == FIXED  # a new cell below (no cell id: unmarked); the failed cell is not replaced
    assert "An empty list has length 0." in result.final
    assert "nothing was put into a new cell" not in result.shown


def test_a_fix_without_code_says_no_cell_was_inserted_and_why(shell, ygpt_server):
    failing_cells(shell)
    shell.rl_next_input = None
    result = cell(shell, "%ygpt fix")  # the local server's unscripted reply has no code block
    assert result.ok, result.shown
    assert shell.rl_next_input is None
    note = "no code block in the reply; nothing was put into a new cell"
    assert result.plain.endswith(f"{note}\n\n{shell.user_ns['_ygpt'].summary()}")
    reply = shell.user_ns["_ygpt"]
    assert result.page.index(reply.text.split()[0]) < result.page.index(note) < result.page.index("tokens")


def saved_notebook(path, *cells: tuple[str, str]):
    """A notebook file as JupyterLab saves it: code cells with ids, in order."""
    path.write_text(json.dumps({"cells": [{"id": cell_id, "cell_type": "code", "source": source,
                                           "metadata": {}, "outputs": [], "execution_count": None}
                                          for cell_id, source in cells],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    return str(path)


def test_run_all_again_does_not_insert_the_code_a_second_time(shell, ygpt_server, tmp_path):
    """A saved notebook whose fix cell is followed by the code it inserted last time: running it
    again (Run All) leaves that cell alone and says so; JupyterLab would add one more copy."""
    _, failed = failing_cells(shell)
    assert cell(shell, "%ygpt fix").ok
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    reply = f"An empty list has length 0.\n\n```python\n{FIXED}\n```"
    notebook = tmp_path / "mine.ipynb"
    shell.user_ns["__session__"] = saved_notebook(notebook, ("fix", f"%ygpt fix {failed}"),
                                                  ("inserted", FIXED + "\n"))
    with scripted(shell, tmp_path, user, reply):
        result = cell(shell, f"%ygpt fix {failed}", cell_id="fix")
        assert result.ok, result.shown
        assert shell.rl_next_input is None
        assert "came from this cell's reply on an earlier run, so no new cell was inserted" in result.page
        assert "An empty list has length 0." in result.page
        saved_notebook(notebook, ("fix", f"%ygpt fix {failed}"), ("inserted", "mean = len"))
        result = cell(shell, f"%ygpt fix {failed}", cell_id="fix")  # the user changed that cell
        assert shell.rl_next_input == marked(FIXED) and "no new cell" not in result.page
        shell.rl_next_input = None
        assert cell(shell, f"%ygpt fix {failed}").ok  # no cell id (a terminal): a new cell, unmarked
        assert shell.rl_next_input == FIXED


def test_fix_dry_run_shows_the_exact_messages_and_sends_nothing(shell, magics, ygpt_server):
    failing_cells(shell)
    result = cell(shell, "%ygpt fix --dry-run")
    assert result.ok and not completions(ygpt_server)
    assert "system:\n" + textwrap.indent(magics.fix_instruction, "    ") + "\n\nuser:\n" in result.plain
    assert "\n    ZeroDivisionError: division by zero\n" in result.plain


def test_the_instruction_is_a_setting(shell, ygpt_server):
    failing_cells(shell)
    cell(shell, '%config YGptMagics.fix_instruction = "Only give the corrected cell."')
    assert cell(shell, "%ygpt fix").ok
    assert completions(ygpt_server)[-1].messages[0] == {"role": "system",
                                                        "text": "Only give the corrected cell."}


def test_nothing_to_fix_is_a_clear_message(shell, magics, ygpt_server):
    magics.kernel.cells.errors.clear()
    result = cell(shell, "%ygpt fix")
    assert_clear_error(result, "nothing to fix", "%ygpt fix N", error_type=errors.NothingToFix)
    result = cell(shell, "%ygpt fix 1")
    assert_clear_error(result, "raised no error", error_type=errors.InterpolationError)
    result = cell(shell, "%ygpt fix -1")     # not an instruction sent to the model
    assert_clear_error(result, "%ygpt fix -1", "In [N]", "%ygpt fix alone", error_type=errors.OptionError)
    assert not completions(ygpt_server)


@pytest.mark.parametrize("which", ["raised no error", "has run yet"])
def test_fix_n_of_a_cell_with_no_error_speaks_of_fix_n_and_the_cell_it_names_is_fixed(shell, ygpt_server, which):
    """findings/advice.md F5: it said "The cell uses {Err[1]}", a reference the user never
    wrote; it speaks of %ygpt fix N, and the command it names for the cell that failed sends it."""
    clean = shell.execution_count
    assert cell(shell, "x = 1").ok
    failed = shell.execution_count
    assert not cell(shell, "1/0").ok
    count = clean if which == "raised no error" else shell.execution_count + 1000  # not run yet: the shell is shared
    message = assert_clear_error(cell(shell, f"%ygpt fix {count}"), f"%ygpt fix {count}: ", which,
                                 f"cells that raised one: {failed} (")
    assert "{Err[" not in message and "The cell uses" not in message, message
    advised = re.search(r"\((%ygpt fix \d+), or %ygpt fix alone\)", message)
    assert advised, message
    assert cell(shell, advised[1]).ok
    assert completions(ygpt_server)[-1].messages[-1]["text"].startswith(f"Cell {failed} fails.")


def test_fix_is_listed_in_the_help(shell):
    assert "%ygpt fix [--dry-run] [[N] INSTRUCTIONS ...]" in cell(shell, "%ygpt help").plain
    assert "never replaced" in cell(shell, "%ygpt fix --help").plain


def test_flags_anywhere_and_unknown_flags_refused(shell, ygpt_server):
    _, failed = failing_cells(shell)
    assert cell(shell, f"%ygpt fix {failed} keep it short --dry-run").ok
    assert not completions(ygpt_server)
    result = cell(shell, "%ygpt fix --model lite")
    assert_clear_error(result, "--model", "%ygpt help", error_type=errors.OptionError)
    assert not completions(ygpt_server)


def test_the_instructions_are_taken_as_written_then_filled_in_by_the_cell_rule(shell, ygpt_server):
    """IPython expanded the line first: `{{name}}` came out as the value, `{big}` went whole."""
    shell.user_ns.update(name="Bob", big="z" * 20_000, price=5)
    _, failed = failing_cells(shell)
    assert cell(shell, "%ygpt fix keep the {{name}} placeholder and $price").ok
    assert completions(ygpt_server)[-1].messages[-1]["text"].endswith("keep the {name} placeholder and $price")
    result = cell(shell, f"%ygpt fix {failed} mention {{big}}")
    assert result.ok, result.shown
    assert len(completions(ygpt_server)[-1].messages[-1]["text"]) < 20_000
    assert "{big}: 20,000 characters, cut to the first" in result.page


def test_an_error_is_forgotten_when_its_cell_runs_clean(shell, ygpt_server):
    """The same cell (JupyterLab's id) fixed by hand and run again: no stale fix, no needless cell."""
    shell.user_ns.pop("undefined_name", None)
    stale = shell.execution_count
    cell(shell, "x = undefined_name + 1", cell_id="A")
    cell(shell, "undefined_name = 1", cell_id="B")
    now = shell.execution_count
    assert cell(shell, "x = undefined_name + 1", cell_id="A").ok
    result = cell(shell, "%ygpt fix")
    assert_clear_error(result, "nothing to fix", f"cell {stale}", f"In [{now}] now", error_type=errors.NothingToFix)
    result = cell(shell, f"%ygpt fix {stale}")
    assert_clear_error(result, f"cell {stale} has run without an error since", error_type=errors.InterpolationError)
    assert not completions(ygpt_server)


def test_a_later_failed_ygpt_cell_is_skipped_and_the_note_says_so(shell, ygpt_server):
    _, failed = failing_cells(shell)
    later = shell.execution_count
    assert cell(shell, "%%ygpt\nTranslate {nope}").error is not None
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    assert completions(ygpt_server)[-1].messages[-1]["text"].startswith(f"Cell {failed} fails.")
    assert f"cell {later} failed later, with a magic's own message" in result.page
    assert f"this fixes cell {failed}" in result.page


def test_a_cell_ctrl_c_stopped_is_passed_over_as_a_python_cells_ctrl_c_is(shell, ygpt_server):
    """A stopped %%ygpt cell ends in an error so that Run All stops there, but that is neither an
    error in the code nor a message saying what to change: fix fixes the error before it."""
    _, failed = failing_cells(shell)
    ygpt_server.faults.latency(0.03)
    shell.run_line_magic("config", "YGptMagics.render_interval = 0.0")
    assert_interrupted(run_interrupted(shell, "%%ygpt\n" + EINSTEIN[0]))
    ygpt_server.faults.clear()
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    assert completions(ygpt_server)[-1].messages[-1]["text"].startswith(f"Cell {failed} fails.")
    assert "magic's own message" not in result.page, result.page


def test_fix_n_of_a_failed_ygpt_cell_says_it_stopped_with_a_magics_message(shell, ygpt_server):
    """secrets2.md F6: it said 'The cell uses {Err[N]}, but cell N raised no error'."""
    _, failed = failing_cells(shell)
    refused = shell.execution_count
    assert cell(shell, "%%ygpt\nTranslate {nope}").error is not None
    message = assert_clear_error(cell(shell, f"%ygpt fix {refused}"),
                                 f"cell {refused} stopped with a magic's own message",
                                 f"cells that raised one: {failed}", error_type=errors.NothingToFix)
    assert "{Err[" not in message and "raised no error" not in message


def test_a_comment_on_the_fix_line_is_not_sent(shell, ygpt_server):
    """The docs write `%ygpt fix  # note` (guide/context.md, README): the note stays in the cell."""
    _, failed = failing_cells(shell)
    asked = "Say first which cell you correct."   # the prompt's last sentence: mean's cell, or this one
    dry = cell(shell, "%ygpt fix --dry-run               # show the exact messages; send nothing")
    assert dry.ok and "send nothing" not in dry.plain and not completions(ygpt_server)
    assert cell(shell, "%ygpt fix                         # the last cell that raised").ok
    assert completions(ygpt_server)[-1].messages[-1]["text"].endswith(asked)
    assert cell(shell, f"%ygpt fix {failed} don't rename it      # cell {failed}, with an instruction").ok
    assert completions(ygpt_server)[-1].messages[-1]["text"].endswith(f"{asked}\n\ndon't rename it")
    assert cell(shell, '%ygpt fix see issue "#3" and issue#4 # not this').ok
    assert completions(ygpt_server)[-1].messages[-1]["text"].endswith(f'{asked}\n\nsee issue "#3" and issue#4')
    sent = len(completions(ygpt_server))
    dry = cell(shell, "%ygpt fix keep the result in column #2 of the table --dry-run")
    assert dry.ok and len(completions(ygpt_server)) == sent, "a word '#2' is no comment: the dry run sent"
    assert "keep the result in column #2 of the table" in dry.plain, dry.plain


def test_fix_under_nbval_without_numbered_cells_says_what_to_do(shell, ygpt_server):
    """nbval runs cells unnumbered (store_history=False): the failed cell has no In [N], so fix
    says so and names the conftest, rather than blame an {In[1]} the user never wrote."""
    for source in ("import math", "math.sqrt(-1)", "%ygpt fix"):
        with capture_output():
            result = shell.run_cell(source, store_history=False)
    error = result.error_in_exec or result.error_before_exec
    assert "{In[" not in str(error)
    assert str(error).startswith("%ygpt fix found no numbered cells: the cell that failed ran without a number")
    assert "conftest.py from docs/guide/reproducible.md" in str(error)
    assert not completions(ygpt_server)


def test_the_guide_says_a_notebook_with_fix_needs_the_numbered_conftest():
    guide = (Path(__file__).parents[1] / "docs" / "guide" / "reproducible.md").read_text(encoding="utf-8")
    paragraph = guide[guide.index("nbval does run cells unnumbered"):][:400]
    assert "%ygpt fix" in paragraph


@pytest.mark.parametrize("failing", ["%%ygpt --map df --out r\nReview: {txt}",
                                     "%%ygpt --docs no_such_notes --once\nWhere do cats sleep?"])
def test_fix_after_a_failed_ygpt_cell_says_it_stopped_with_a_magics_message(shell, ygpt_server, failing):
    """combos.md C2: it said no cell had raised an error and to run the failing cell again, which
    gives the same red cell and the same answer."""
    shell.user_ns["df"] = pd.DataFrame({"text": ["great phone", "broken"]})
    refused = shell.execution_count
    assert cell(shell, failing).error is not None
    message = assert_clear_error(cell(shell, "%ygpt fix"), "no error in your code stands",
                                 f"cell {refused} stopped with a magic's own message",
                                 "its message says what to change", error_type=errors.NothingToFix)
    assert "no cell has raised an error" not in message and "Run the failing cell again" not in message
    assert not completions(ygpt_server)


def test_fix_after_a_map_with_failed_rows_names_them_and_says_it_repairs_code_not_rows(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["great phone", " ", "\n", "fine"]})
    assert cell(shell, "%%ygpt --map df --out r\n{text}").ok
    message = assert_clear_error(cell(shell, "%ygpt fix"), "left 2 rows without an answer: rows 1, 2",
                                 "row 1: Row 1 gives an empty prompt", "repairs a cell's code, not rows",
                                 "_ygpt.errors", "only the rows without an answer are sent",
                                 error_type=errors.NothingToFix)
    assert "no cell has raised an error" not in message
    assert len(completions(ygpt_server)) == 2   # the two rows with a prompt; fix sent nothing


def stopped_hanging_cell(shell) -> int:
    """A cell that hangs, stopped by a real Ctrl-C (SIGINT on the kernel's thread) once its loop
    runs, as the notebook's Stop does: IPython shows a KeyboardInterrupt under it. Its number."""
    running = shell.user_ns["running"] = threading.Event()
    stopped = shell.execution_count
    presser = ctrl_c_in(10, when=running)
    run = cell(shell, "running.set()\nwhile True:\n    time.sleep(0.01)")
    presser.join()
    assert isinstance(run.error, KeyboardInterrupt), run.shown
    return stopped


def test_fix_after_a_cell_stopped_with_ctrl_c_asks_why_it_hangs_and_names_the_older_error(shell, ygpt_server):
    """errors3.md 6: it fixed the older, unrelated failed cell, with no note that the cell the
    user had just stopped was passed over."""
    shell.user_ns["time"] = time
    _, failed = failing_cells(shell)
    stopped = stopped_hanging_cell(shell)
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    assert user.startswith(f"Cell {stopped} did not finish: it was stopped with Ctrl-C"), user
    assert "while True:" in user and f'File "Cell In[{stopped}]", line 3, in <module>' in user
    assert user.endswith("KeyboardInterrupt\n```")
    note = (f"cell {stopped} was stopped with Ctrl-C, not failed with an error: this asks why it hangs or "
            f"runs too long; for the ZeroDivisionError of cell {failed}, %ygpt fix {failed}")
    assert note in result.page, result.page


def test_fix_n_and_err_n_of_a_cell_stopped_with_ctrl_c_say_where_it_was_stopped(shell, ygpt_server):
    """errors3.md 6: both said cell N "raised no error", under a cell showing a KeyboardInterrupt."""
    shell.user_ns["time"] = time
    stopped = stopped_hanging_cell(shell)
    assert cell(shell, "x = 1").ok
    result = cell(shell, f"%ygpt fix {stopped}")
    assert result.ok, result.shown
    assert completions(ygpt_server)[-1].messages[-1]["text"].startswith(f"Cell {stopped} did not finish")
    result = cell(shell, f"%%ygpt --once\nWhy did it hang? {{Err[{stopped}]}}")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert "time.sleep(0.01)" in sent and sent.endswith("KeyboardInterrupt\n```"), sent
    assert f"{{Err[{stopped}]}}: where Ctrl-C stopped cell {stopped} (KeyboardInterrupt)" in result.page
