"""Tab in a %%ygpt / %ygpt line, through IPython's own completer on a real shell: it never prints
a traceback (IPython parses the magic's flags with its parser and expects a UsageError)."""

from __future__ import annotations

import contextlib
import io

from conftest import cell
from IPython.core.completer import provisionalcompleter


def tab(shell, text: str, cursor: int | None = None) -> tuple[list[str], str]:
    """What Tab offers at ``cursor`` (the end by default), and what it printed on stderr."""
    err = io.StringIO()
    cursor = len(text) if cursor is None else cursor
    with contextlib.redirect_stderr(err), provisionalcompleter():
        offered = [completion.text for completion in shell.Completer.completions(text, cursor)]
    return offered, err.getvalue()


def test_tab_after_a_flag_that_wants_a_value_prints_no_traceback(shell):
    assert cell(shell, "%%ygpt --dry-run\nhello").ok     # a cell has been parsed, as in every notebook
    for line in ("%%ygpt --model ", "%%ygpt -m", "%%ygpt --temperature ", "%ygpt config --model "):
        _, stderr = tab(shell, line)
        assert "Traceback" not in stderr and "ArgumentError" not in stderr, f"Tab after {line!r}:\n{stderr}"


def test_tab_on_the_magic_line_of_a_whole_cell_prints_no_traceback(shell):
    """JupyterLab sends the whole cell and the cursor."""
    assert cell(shell, "%%ygpt --dry-run\nhello").ok
    text = "%%ygpt --model \nWhat is 2+2?"
    _, stderr = tab(shell, text, text.index("\n"))
    assert "Traceback" not in stderr, stderr


def test_a_refused_value_still_names_its_flag_after_a_tab(shell):
    """The parse keeps its own error wording (argparse's ArgumentError, with the flag's name)."""
    tab(shell, "%%ygpt --temperature ")
    refused = cell(shell, "%%ygpt --temperature hot --dry-run\nhello")
    assert refused.error is not None and "--temperature" in refused.message, refused.message
