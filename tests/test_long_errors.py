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
    cell(shell, "Temperature(20).fahrenheit")
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
