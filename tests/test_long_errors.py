"""A long error sent to the model keeps what says what went wrong: its exception line and the
innermost frames at the end, its start too, the middle cut and said (context8 finding 4)."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions
from test_context_secrets import FOREIGN

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

#: mutual recursion (each property computed from the other): a traceback of ~80,000 characters
#: of alternating frames, which Python does not collapse
TEMPERATURE = '''class Temperature:
    def __init__(self, c):
        self.celsius = c
    @property
    def celsius(self):
        return (self.fahrenheit - 32) / 1.8
    @celsius.setter
    def celsius(self, v):
        self._c = v
    @property
    def fahrenheit(self):
        return self.celsius * 1.8 + 32'''


def test_fix_of_a_long_traceback_sends_the_exception_and_the_failing_line(shell, ygpt_server):
    """The traceback was cut to its first 8,000 characters: 'RecursionError: maximum recursion
    depth exceeded' was never sent, only thousands of tokens of repeated frames."""
    cell(shell, TEMPERATURE)
    failed = shell.execution_count
    mode = shell.InteractiveTB.mode
    shell.InteractiveTB.set_mode("Plain")   # what is sent is ours to format whatever the mode; IPython's
    try:                                   # own display of 1,000 frames takes 16-40 s of CPU otherwise
        cell(shell, "Temperature(20).fahrenheit")
    finally:
        shell.InteractiveTB.set_mode(mode)
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    error = sent.split("The error:\n```\n", 1)[1].split("\n```", 1)[0]
    assert error.startswith(f'Traceback (most recent call last):\n  File "Cell In[{failed}]", line 1, in <module>\n'
                            "    Temperature(20).fahrenheit\n")
    assert error.endswith("RecursionError: maximum recursion depth exceeded")
    left_out = [line for line in error.splitlines() if line.startswith("… ")]
    assert len(left_out) == 1 and left_out[0].endswith(" characters left out"), left_out
    assert 6_000 < len(error) <= 8_100
    note = f"{{Err[{failed}]}}: the RecursionError of cell {failed}, cut to its first "
    assert note in result.page and " and its last " in result.page, result.page[:2000]


def test_a_foreign_key_where_a_long_error_is_cut_is_not_sent_in_part(shell, ygpt_server):
    """The end kept of a one-line message can start inside someone's key: its last characters
    match no shape, so that token is left out, as the start's cut leaves out its first ones."""
    cell(shell, "%config YGptMagics.max_value_chars = 400")
    key = FOREIGN
    message = "." * 700 + " Api-Key " + key + " " + "x" * 284
    failed = shell.execution_count
    cell(shell, f"raise ValueError({message!r})")
    assert cell(shell, f"%%ygpt --once\n{{Err[{failed}]}}").ok
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert sent.endswith("x" * 284 + "\n```") and key[-12:] not in sent, sent


def long_failing_cell(shell) -> tuple[int, str]:
    """A 142-line cell (about 10,800 characters) that fails on its last line; its number and the line."""
    last = "total = sales['revenue'] * 2"
    source = "sales = {'price': 1.0, 'qty': 3}\n" + "".join(
        f"feature_{i:03d} = sales['price'] * {i} + sales['qty'] / {i + 1}  # derived feature {i}\n"
        for i in range(140)) + last
    failed = shell.execution_count
    cell(shell, source)
    return failed, last


def test_fix_of_a_long_cell_sends_the_failing_line_and_asks_for_the_corrected_part(shell, magics, ygpt_server):
    """The source was cut to its first 8,000 characters, so the failing line was not in it, and
    the model was still asked for 'the whole corrected cell': the new cell held a corrected first
    part of the cell, and a user swapping it in lost the rest (context8 finding 5)."""
    failed, last = long_failing_cell(shell)
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    source = sent.split("\n\nThe error:", 1)[0]
    assert source.rstrip("`\n").endswith(last) and "feature_139 = " in source
    assert len(source) <= magics.max_value_chars + 300
    first = int(source.split("Its source, lines ", 1)[1].split("–", 1)[0])
    assert f"Its source, lines {first}–142 of 142 (the rest of the cell is left out):" in source
    assert sent.endswith(f"Only lines {first}–142 of cell {failed} were sent: give those lines corrected, "
                         f"not the whole cell, in one ```python code block.")
    assert (f"cell {failed} has 142 lines ({len(shell.user_ns['_i' + str(failed)]):,} characters, over "
            f"max_value_chars): only lines {first}–142, around line 142 where it failed, were sent") in result.page
    assert "the new cell below holds those lines corrected, not the whole cell" in result.page


IMPORTS = "import math\nfrom collections import (Counter,\n                         OrderedDict)\n"


def test_fix_of_a_long_cell_sends_its_imports_beside_the_failing_part(shell, magics, ygpt_server):
    """The lines around the failing one left out the cell's imports, so the model fixed
    ``math.log(...)`` with names it could not see; they go apart, and the lines asked for and
    replaced are still the window only."""
    failed = shell.execution_count
    body = "".join(f"feature_{i:03d} = sales['price'] * {i} + sales['qty'] / {i + 1}  # derived feature {i}\n"
                   for i in range(140))
    cell(shell, IMPORTS + "sales = {'price': 1.0, 'qty': 3}\n" + body + "total = math.log(sales['revenue'])")
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert sent.startswith(f"Cell {failed} fails.\n\nIts imports, lines 1–3 (sent for the names they bring, not to "
                           f"be corrected):\n```python\n{IMPORTS}```\n\nIts source, lines "), sent[:400]
    first = int(sent.split("Its source, lines ", 1)[1].split("–", 1)[0])
    assert first > 4 and f"Its source, lines {first}–145 of 145 (the rest of the cell is left out):" in sent
    assert len(sent.split("\n\nThe error:", 1)[0]) <= magics.max_value_chars + 400
    assert sent.endswith(f"Only lines {first}–145 of cell {failed} were sent: give those lines corrected, not the "
                         f"whole cell nor its imports (an import the fix needs goes first in those lines), in one "
                         f"```python code block.")
    assert (f"only lines {first}–145, around line 145 where it failed, were sent (with its imports, lines 1–3, "
            f"unchanged)") in result.page and f"put them in place of lines {first}–145 " in result.page


def test_the_imports_sent_beside_a_long_cell_are_bounded_and_the_rest_counted(shell, magics, ygpt_server):
    imports = "".join(f"import os as alias_{i:04d}\n" for i in range(1000))
    failed = shell.execution_count
    cell(shell, imports + "x = 1\n" * 50 + "total = alias_0001.nothing_here")
    result = cell(shell, "%ygpt fix")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    shown = sent.split("```python\n", 1)[1].split("\n```", 1)[0]
    assert shown.startswith("import os as alias_0000\n") and len(shown) <= magics.max_value_chars // 4, len(shown)
    kept, first = shown.count("\n") + 1, int(sent.split("Its source, lines ", 1)[1].split("–", 1)[0])
    assert f"Its imports, lines 1–{kept} (sent for the names they bring, not to be corrected; " \
           f"{first - 1 - kept:,} more import statements left out):" in sent, sent[:300]   # those before the part
    assert sent.split("\n\nThe error:", 1)[0].rstrip("`\n").endswith("total = alias_0001.nothing_here")
    assert f"cell {failed} has 1051 lines" in result.page, result.page
    assert f"(with its imports, lines 1–{kept}, unchanged)" in result.page, result.page
