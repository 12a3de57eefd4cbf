"""`%ygpt fix` and the cells around the failed one: the block that goes into the new cell, a
`--tools` cell stopped inside the user's tool, and a bug in a helper an earlier cell defines
(findings/toolsref.md 3, 6 and 7)."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions, scripted
from test_fix import FIXED, failing_cells

pytestmark = [pytest.mark.filterwarnings(*LOST_EXCEPTIONS), pytest.mark.usefixtures("fresh_names")]


def test_a_reply_quoting_the_failing_line_first_puts_only_the_corrected_cell_below(shell, ygpt_server, tmp_path):
    """The new cell held the quoted line, the corrected cell and a shell line: it failed as before."""
    _, failed = failing_cells(shell)
    assert cell(shell, "%ygpt fix").ok
    user = completions(ygpt_server)[-1].messages[-1]["text"]
    reply = ("The list is empty here:\n\n```python\nmean([])\n```\n\nThe corrected cell:\n\n"
             f"```python\n{FIXED}\n```\n\nNothing to install:\n\n```bash\npip list\n```")
    with scripted(shell, tmp_path, user, reply):
        result = cell(shell, f"%ygpt fix {failed}")
    assert result.ok, result.shown
    assert shell.rl_next_input == FIXED
    assert "The reply has 3 code blocks; the new cell holds the last Python one, the corrected cell." in result.page
