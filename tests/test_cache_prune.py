"""Pruning the reply cache after a re-run: `%ygpt cache clear --older-than D` goes by when an
entry was last used, so the recordings a notebook still replays stay and only the dead ones (a
cell edited since) go. A replay in auto mode marks its entry; replay mode (CI's) writes nothing.
"""

from __future__ import annotations

import sqlite3

from conftest import cell
from test_cache import cache_file  # noqa: F401 (a fixture)

NORTH = "%%ygpt --once\nSummarise the north region."
SOUTH = "%%ygpt --once\nSummarise the south region."
SOUTH_EDITED = "%%ygpt --once\nSummarise the south region in one line."
A_MONTH_AGO = "2026-11-01T10:00:00Z"


def recorded_a_month_ago(path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE entries SET recorded = ?", (A_MONTH_AGO,))
    db.close()


def test_clearing_after_a_rerun_keeps_what_the_notebook_still_replays(shell, ygpt_server, cache_file):
    assert cell(shell, NORTH).ok and cell(shell, SOUTH).ok
    recorded_a_month_ago(cache_file)
    # today the south cell is edited and the notebook re-run: north replays, the edit is recorded
    assert cell(shell, NORTH).ok and shell.user_ns["_ygpt"].cached
    assert cell(shell, SOUTH_EDITED).ok and not shell.user_ns["_ygpt"].cached
    assert "3 entries" in cell(shell, "%ygpt cache").plain
    cleared = cell(shell, "%ygpt cache clear --older-than 1d")
    assert cleared.ok and "cleared  1 entry not used since" in cleared.plain   # the old south only
    shell.run_line_magic("ygpt", "cache --mode replay")
    ygpt_server.reset()
    for source in (NORTH, SOUTH_EDITED):   # the notebook as CI replays it
        again = cell(shell, source)
        assert again.ok, again.message
    assert ygpt_server.requests == []


def test_replay_mode_leaves_the_file_as_it_was(shell, ygpt_server, cache_file):
    """CI replays a committed file: a replay there marks nothing, so the file does not change."""
    assert cell(shell, NORTH).ok
    recorded_a_month_ago(cache_file)
    shell.run_line_magic("ygpt", "cache --mode replay")
    assert cell(shell, NORTH).ok and shell.user_ns["_ygpt"].cached
    shell.run_line_magic("ygpt", "cache --mode auto")
    assert "cleared  1 entry not used since" in cell(shell, "%ygpt cache clear --older-than 1d").plain


def test_the_help_says_older_than_goes_by_last_use(shell):
    shown = cell(shell, "%ygpt help cache").plain
    assert "not used for D" in shown and "not replayed since" in shown
