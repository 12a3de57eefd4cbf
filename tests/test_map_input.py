"""%%ygpt --map over what users actually hand it: a DataFrame whose column is misspelt, a
generator, an index with repeated labels, a run stopped with Ctrl-C; through a real shell and the
local server."""

from __future__ import annotations

import pandas as pd

from cellrun import assert_clear_error
from conftest import cell, completions


def test_a_name_that_is_not_a_column_of_the_dataframe_says_so_and_lists_its_columns(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["Great phone"], "stars": [5]})
    run = cell(shell, "%%ygpt --map df\nClassify: {review}")
    message = assert_clear_error(run, "--map df", "df has no column 'review'", "'text', 'stars'")
    assert "no variable named" not in message
    assert completions(ygpt_server) == []
