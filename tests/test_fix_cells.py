"""`%ygpt fix` and the cells around the failed one: the block that goes into the new cell, a
`--tools` cell stopped inside the user's tool, and a bug in a helper an earlier cell defines
(findings/toolsref.md 3, 6 and 7)."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager

import pytest
from cellrun import LOST_EXCEPTIONS, assert_interrupted
from conftest import TEST_KEY, cell, completions, scripted
from presses import ctrl_c_in
from test_fix import FIXED, failing_cells

from ygpt_magic.emulator import start_local_server

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


@pytest.mark.parametrize("after", ["Nothing to install:\n\n```bash\npip list\n```", "Output:\n\n```\n0.0\n```"],
                         ids=["a-shell-line", "its-output-untagged"])
def test_a_reply_quoting_the_failing_line_first_puts_only_the_corrected_cell_below(shell, ygpt_server, tmp_path,
                                                                                   after):
    """The new cell held the quoted line, the corrected cell and a shell line: it failed as before.
    findings/review16.md 2: with "Output:" then an untagged block after the corrected cell, the
    new cell held the output, under a line calling it the corrected cell."""
    _, failed = failing_cells(shell)
    assert cell(shell, "%ygpt fix").ok
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    reply = ("The list is empty here:\n\n```python\nmean([])\n```\n\nThe corrected cell:\n\n"
             f"```python\n{FIXED}\n```\n\n{after}")
    with scripted(shell, tmp_path, user, reply):
        result = cell(shell, f"%ygpt fix {failed}")
    assert result.ok, result.shown
    assert shell.rl_next_input == FIXED
    assert "The reply has 3 code blocks; the new cell holds the last Python one, the corrected cell." in result.page


@pytest.mark.parametrize("language", ["bash", "json"])
def test_a_reply_whose_only_code_is_not_python_puts_nothing_below_and_names_the_block(shell, ygpt_server, tmp_path,
                                                                                    language):
    """context8 finding 7: a fix reply whose only block was ```bash (the usual "Install it:") put
    `pip install …` into the new cell, which IPython's automagic runs as %pip on one keystroke.
    The new cell takes Python blocks only, as --format code's does, and the line says why not."""
    cell(shell, "import openpyxl_nonexistent_pkg")
    assert cell(shell, "%ygpt fix").ok
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    reply = (f"It is not installed. Install it:\n\n```{language}\npip install openpyxl-nonexistent-pkg\n```"
             "\n\nThen run again.")
    with scripted(shell, tmp_path, user, reply):
        result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    assert shell.rl_next_input is None
    shell_note = " (shell commands are never put into a cell: copy one from the reply to run it)"
    said = (f"No Python block in the reply, so nothing was put into a new cell; left out: the {language} block"
            f"{shell_note if language == 'bash' else ''}.")
    assert said in result.plain, result.plain


HANGING_TOOL = '''import time

def fetch_rows(region: str) -> int:
    """Rows of a region (reads a slow database)."""
    running.set()
    while True:
        time.sleep(0.01)'''


@contextmanager
def tool_calling_server(shell, folder, back):
    """The shell connected to a server whose model calls fetch_rows for "slow one please", then
    to ``back`` again."""
    script = folder / "tools.json"
    script.write_text(json.dumps({"replies": [{
        "user": "slow one please", "tool_calls": [{"name": "fetch_rows", "arguments": {"region": "north"}}],
        "after_tools": "Rows: {fetch_rows}"}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        yield server
    shell.run_line_magic("ygpt", f"connect {back.address} --insecure")


def stopped_in_tool(shell, folder, back) -> tuple[int, int]:
    """A --tools cell whose tool hangs, stopped by a real Ctrl-C once the tool runs; (the number
    of the cell defining the tool, the number of the stopped cell)."""
    running = shell.user_ns["running"] = threading.Event()
    define = shell.execution_count
    assert cell(shell, HANGING_TOOL).ok
    stopped = shell.execution_count
    with tool_calling_server(shell, folder, back):
        presser = ctrl_c_in(10, when=running)
        run = cell(shell, "%%ygpt --tools fetch_rows\nslow one please")
        presser.join()
    assert_interrupted(run)
    assert 'fetch_rows(region="north") → interrupted' in run.page, run.page
    return define, stopped


def test_a_tools_cell_stopped_inside_its_tool_is_the_cell_fix_takes(shell, ygpt_server, tmp_path):
    """findings/toolsref.md 6: fix sent an older, unrelated error with no note, and fix N and
    {Err[N]} said the stopped cell "raised no error"."""
    _, failed = failing_cells(shell)
    define, stopped = stopped_in_tool(shell, tmp_path, ygpt_server)
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    assert user.startswith(f"Cell {stopped} did not finish: it was stopped with Ctrl-C"), user
    assert f'File "Cell In[{define}]", line 7, in fetch_rows\n    time.sleep(0.01)\n' in user, user
    assert f"for the ZeroDivisionError of cell {failed}, %ygpt fix {failed}" in result.page
    assert cell(shell, f"%ygpt fix {stopped}").ok
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    assert user.startswith(f"Cell {stopped} did not finish")
    assert user.endswith(f"which cell {stopped} calls.\n\nCell {define}'s source (where it was stopped):\n"
                         f"```python\n{HANGING_TOOL}\n```\n\nIf the fix belongs in cell {define}, where it was "
                         f"stopped, give the whole corrected cell {define}; if it belongs in cell {stopped} (it "
                         f"calls cell {define}'s code wrongly), give the whole corrected cell {stopped}. Say first "
                         f"which cell you correct."), user
    result = cell(shell, f"%%ygpt --once\nWhy did it hang? {{Err[{stopped}]}}")
    assert result.ok, result.shown
    assert f"{{Err[{stopped}]}}: where Ctrl-C stopped cell {stopped} (KeyboardInterrupt)" in result.page


HELPERS = '''def add_revenue(d):
    d = d.copy()
    d["revenue"] = d["Price"] * d["qty"]
    return d

def summarize(d):
    return add_revenue(d).groupby("region").revenue.sum()'''


@pytest.mark.slow
def test_a_bug_in_a_helper_of_an_earlier_cell_sends_that_cell_and_asks_for_it(shell, ygpt_server):
    """findings/toolsref.md 7: only the calling cell went, and the model was told to rewrite it,
    so its fix could only patch around add_revenue, whose source it never saw."""
    pd = pytest.importorskip("pandas")
    shell.user_ns["pd"] = pd
    helpers = shell.execution_count
    assert cell(shell, HELPERS).ok
    failed = shell.execution_count
    assert not cell(shell, 'sales = pd.DataFrame({"region": ["n", "s"], "price": [1, 2], "qty": [3, 4]})\n'
                           'report = summarize(sales)').ok
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    assert user.startswith(f"Cell {failed} fails.\n\nIts source:\n```python\nsales = "), user
    assert user.endswith(f"KeyError: 'Price'\n```\n\nThe traceback passes through code of cell {helpers}, "
                         f"which cell {failed} calls.\n\nCell {helpers}'s source (where it was raised):\n"
                         f"```python\n{HELPERS}\n```\n\nIf the fix belongs in cell {helpers}, where it was "
                         f"raised, give the whole corrected cell {helpers}; if it belongs in cell {failed} (it "
                         f"calls cell {helpers}'s code wrongly), give the whole corrected cell {failed}. Say "
                         f"first which cell you correct."), user
    assert (f"cell {failed} failed in code of cell {helpers}, which it calls: both were sent, and the model was "
            f"asked to correct the one the fix belongs in and to say which; the new cell below replaces that "
            f"cell (if it is cell {helpers}, run it, then cell {failed} again)") in result.page


def test_a_cell_failing_in_its_own_callback_is_the_one_asked_for_with_the_helper_sent(shell, ygpt_server):
    helpers = shell.execution_count
    assert cell(shell, "def each(items, f):\n    return [f(item) for item in items]").ok
    failed = shell.execution_count
    assert not cell(shell, "def inverse(x):\n    return 1 / x\n\neach([1, 0], inverse)").ok
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    each = "def each(items, f):\n    return [f(item) for item in items]"
    assert user.endswith(f"which cell {failed} calls.\n\nCell {helpers}'s source:\n```python\n{each}\n```\n\n"
                         f"Give the whole corrected cell {failed}."), user
    assert "replaces cell" not in result.page


def test_a_helper_raising_on_purpose_is_not_declared_the_bug(shell, ygpt_server):
    """findings/review16.md 3: "The fix belongs in cell 4, where it was raised: give the whole
    corrected cell 4, not cell 5" for a guard of cell 4 that check(-5) tripped, pushing the model
    to delete the safeguard, and a note saying the new cell replaces cell 4."""
    helper = shell.execution_count
    assert cell(shell, 'def check(n):\n    if n < 0:\n        raise ValueError("n must be >= 0")\n    return n').ok
    failed = shell.execution_count
    assert not cell(shell, "check(-5)").ok
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    assert f"give the whole corrected cell {failed}" in user and "not cell" not in user, user
    assert user.endswith("Say first which cell you correct."), user
    assert f"this asks for a corrected cell {helper}" not in result.page
    assert f"the new cell below replaces that cell (if it is cell {helper}, run it, then cell {failed} again)" \
        in result.page


def test_a_helper_cell_holding_the_key_is_left_out_and_the_fix_goes(shell, ygpt_server):
    """findings/review16.md 1: the whole fix was refused, saying to remove {In[1]} the user never
    wrote; before helpers were sent, the same fix went."""
    helper = shell.execution_count
    assert cell(shell, f'def fetch(region):\n    key = "{TEST_KEY}"\n    return {{"n": 1}}[region]').ok
    failed = shell.execution_count
    assert not cell(shell, 'fetch("s")').ok
    before = len(completions(ygpt_server))
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    assert len(completions(ygpt_server)) == before + 1
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    assert TEST_KEY[:12] not in user and 'key = "' not in user
    assert user.endswith(f"which cell {failed} calls.\n\nCell {helper}'s source is left out: it holds a "
                         f"credential.\n\nGive the whole corrected cell {failed}."), user
    assert (f"cell {helper} holds your api key (from YC_API_KEY) (or a long part of it), so its source was not "
            f"sent (only the lines of it the traceback shows): read the credential from the environment there "
            f"(e.g. os.environ['YC_API_KEY']) and run cell {helper} again for a fix that sees its code.") \
        in result.page
    assert f"{{In[{helper}]}}" not in result.shown and TEST_KEY not in result.shown
