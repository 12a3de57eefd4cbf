"""Re-running a cell rewinds the chat that holds its turn to just before that turn (the notebook's
cell order is the conversation): what the re-run sends, what the chat keeps, what the ↺ note says."""

from __future__ import annotations

from conftest import cell, completions


def _system_sent(server) -> list[str]:
    return [m["text"] for m in completions(server)[-1].messages if m["role"] == "system"]


def _note(run) -> str:
    return "↺" + run.page.split("↺")[1].split("\n")[0]


def test_a_rewind_past_the_cell_that_set_the_system_message_undoes_it(shell, magics, ygpt_server):
    assert cell(shell, "%%ygpt\nC1: hello", cell_id="C1").ok
    assert cell(shell, '%%ygpt --system "Answer in French"\nC2: next', cell_id="C2").ok
    rerun = cell(shell, "%%ygpt\nC1: hello again", cell_id="C1")   # the notebook starts over at C1
    assert rerun.ok, rerun.message
    assert _system_sent(ygpt_server) == []
    assert _note(rerun) == ("↺ Re-ran this cell: its previous turn and 1 later turn were dropped from "
                            "chat 'default', and the system message a dropped cell set is undone (now none).")
    assert magics.kernel.session.chats["default"].system is None
    assert "Answer in French" not in cell(shell, "%ygpt chats").plain


def test_editing_out_the_system_flag_of_the_cell_that_set_it_puts_the_earlier_one_back(shell, ygpt_server):
    assert cell(shell, '%%ygpt --system "Be brief"\nC1: hello', cell_id="C1").ok
    assert cell(shell, '%%ygpt --system "Answer in French"\nC2: next', cell_id="C2").ok
    rerun = cell(shell, "%%ygpt\nC2: next, in English please", cell_id="C2")   # --system removed
    assert _system_sent(ygpt_server) == ["Be brief"]
    assert "(now 'Be brief')" in _note(rerun)
    again = cell(shell, "%%ygpt\nC2: once more", cell_id="C2")   # nothing more to undo
    assert _system_sent(ygpt_server) == ["Be brief"] and "system" not in _note(again)


def test_a_system_message_set_outside_the_dropped_cells_stays(shell, magics, ygpt_server):
    assert cell(shell, '%%ygpt --system "Answer in French"\nC1: hello', cell_id="C1").ok
    assert cell(shell, "%%ygpt\nC2: next", cell_id="C2").ok
    rerun = cell(shell, "%%ygpt\nC2: next, edited", cell_id="C2")
    assert _system_sent(ygpt_server) == ["Answer in French"] and "system" not in _note(rerun)
    rerun = cell(shell, '%%ygpt --system "Answer in German"\nC1: hello', cell_id="C1")
    assert _system_sent(ygpt_server) == ["Answer in German"] and "system" not in _note(rerun)
    assert magics.kernel.session.chats["default"].system == "Answer in German"
