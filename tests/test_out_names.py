"""``--out NAME`` refuses names IPython keeps and Python's keywords, with one rule for every
command that stores a value (commands/out_names.py).

``--out get_ipython`` stored the reply and every magic of the session failed after it
(``'str' object is not callable``); ``--out In`` replaced the input history; ``--out _ygpt``
contradicted the help; ``--out for`` stored a value only ``globals()['for']`` could read.
"""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell

from ygpt_magic.errors import OptionError

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


@pytest.mark.parametrize("source, name", [
    ("%%ygpt --once --out get_ipython\nHi", "get_ipython"),
    ("%%ygpt --once --out In\nHi", "In"),
    ("%%ygpt --once --out _ygpt\nHi", "_ygpt"),
    ("%%ygpt --once --out _i3\nHi", "_i3"),
    ("%%ygpt --once --out __\nHi", "__"),
    ("%%ygpt --map rows --out Out\n{item}", "Out"),
    ("%%ygpt --labels yes,no --out exit\nHi", "exit"),
    ("%ygpt embed rows --out _5", "_5"),
    ("%ygpt batch attach abc --out get_ipython", "get_ipython"),
])
def test_a_name_the_shell_keeps_is_refused(shell, ygpt_server, source, name):
    shell.user_ns["rows"] = ["a", "b"]
    kept = shell.user_ns.get(name)
    result = cell(shell, source)
    message = assert_clear_error(result, f"argument --out: must be a name of your own, not {name} (",
                                 "e.g. --out answer", error_type=OptionError)
    assert f"(got '{name}')" in message
    assert shell.user_ns.get(name) is kept and not ygpt_server.requests
    assert cell(shell, "%ygpt chats").ok


def test_a_keyword_is_refused_and_a_soft_keyword_is_a_name(shell, ygpt_server):
    result = cell(shell, "%%ygpt --once --out for\nHi")
    assert_clear_error(result, "argument --out: must be a Python variable name, and for is a keyword",
                       "e.g. --out answer", error_type=OptionError)
    assert "for" not in shell.user_ns and not ygpt_server.requests
    assert cell(shell, "%%ygpt --once --out match\nHi").ok
    assert shell.user_ns["match"] == shell.user_ns["_ygpt"].text


def test_names_a_cell_reads_may_still_be_ipythons(shell, ygpt_server):
    cell(shell, "['first', 'second']")
    result = cell(shell, "%%ygpt --map _ --out answers\nSay {item}")
    assert result.ok, result.message
    assert len(shell.user_ns["answers"]) == 2
