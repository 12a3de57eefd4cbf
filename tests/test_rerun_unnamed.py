"""Re-running a cell rewinds its chat only where the frontend says which cell ran (JupyterLab's
cell id). Where nothing does (the classic Notebook, some other frontends, `%rerun` in a terminal)
a re-run adds a turn, and each later request sends both: the first chat cell asking so says it,
once, and what to do instead. A terminal's own cells and headless runs are not told: nothing runs
them again (tests/test_headless_chat_file.py checks nbclient's)."""

from __future__ import annotations

import pytest
from conftest import cell
from kernels import Kernel

from ygpt_magic.emulator import start_local_server

SAID = "so re-running a %%ygpt cell adds a turn to chat 'default' rather than replacing"
RERUN = "↺ %rerun and run_cell do not say which cell they run, " + SAID
FRONTEND = "↺ This frontend does not say which cell ran (JupyterLab sends a cell id, this one none), " + SAID


def test_rerun_in_a_terminal_says_it_adds_a_turn_and_labels_it_with_its_own_cell(shell):
    cell(shell, "%ygpt reset --all")
    asked_in = shell.execution_count
    first = cell(shell, "%%ygpt\nfirst turn")
    assert first.ok, first.message
    assert "↺" not in first.page   # a terminal's own cell is never run again
    rerun_in = shell.execution_count
    rerun = cell(shell, f"%rerun {asked_in}")
    assert rerun.ok, rerun.message
    assert RERUN in rerun.shown, rerun.shown
    assert "%ygpt reset --chat default forgets them. (Said once.)" in rerun.shown
    assert RERUN not in cell(shell, f"%rerun {asked_in}").shown   # said once

    history = cell(shell, "%ygpt history").plain
    assert f"[user] (In [{asked_in}]) first turn" in history, history
    assert f"[user] (In [{rerun_in}]) first turn" in history, history   # the In [N] that re-ran it


def test_a_cell_that_reruns_a_chat_cell_in_a_loop_keeps_both_turns_under_its_number(shell):
    cell(shell, "%ygpt reset --all")
    asked_in = shell.execution_count
    looped = cell(shell, "for _ in range(2):\n    get_ipython().run_cell('%%ygpt\\nlooped')")
    assert looped.ok, looped.message
    history = cell(shell, "%ygpt history").plain
    assert history.count(f"[user] (In [{asked_in}]) looped") == 2, history


@pytest.mark.slow   # a kernel of its own
def test_a_frontend_without_cell_ids_is_told_once_that_a_rerun_adds_a_turn():
    with start_local_server() as server, Kernel(server.address) as kernel:
        named = kernel.shown(kernel.run("%%ygpt\nHello", cell_id="lab-cell"))
        assert "↺" not in named, named   # JupyterLab's: a re-run rewinds
        first = kernel.shown(kernel.run("%%ygpt\nHello again"))
        assert FRONTEND in first, first
        assert "For a one-off question use --once" in first
        again = kernel.shown(kernel.run("%%ygpt\nHello again"))
        assert "↺" not in again, again   # said once per kernel
        history = kernel.shown(kernel.run("%ygpt history"))
        asked = [line for line in history.splitlines() if line.startswith("[user]")]
        assert [line.endswith("Hello again") for line in asked] == [False, True, True], history
