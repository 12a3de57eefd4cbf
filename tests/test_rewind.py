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


def test_a_rerun_after_switching_chats_goes_back_to_the_chat_holding_its_turn(shell, magics, ygpt_server):
    """The cell order is the conversation: A2 edited and re-run belongs after A1, not after B1."""
    assert cell(shell, "%%ygpt\nA1: hello", cell_id="A1").ok
    assert cell(shell, "%%ygpt\nA2: next", cell_id="A2").ok
    cell(shell, "%ygpt chat other")
    assert cell(shell, "%%ygpt\nB1: other chat", cell_id="B1").ok
    rerun = cell(shell, "%%ygpt\nA2: next, edited", cell_id="A2")
    assert rerun.ok, rerun.message
    sent = [m["text"] for m in completions(ygpt_server)[-1].messages]
    assert sent[0] == "A1: hello" and sent[-1] == "A2: next, edited" and "B1: other chat" not in sent
    assert _note(rerun) == ("↺ Re-ran this cell in chat 'default', which holds its turn (the current "
                            "chat is 'other'): its previous turn was dropped from chat 'default'.")
    chats = magics.kernel.session.chats
    assert [t.prompt for t in chats["default"].turns] == ["A1: hello", "A2: next, edited"]
    assert [t.prompt for t in chats["other"].turns] == ["B1: other chat"]
    assert magics.kernel.session.current == "other"   # the next new cell still continues 'other'


def test_a_rerun_sent_to_another_chat_by_name_says_where_its_earlier_turn_stays(shell, magics, ygpt_server):
    assert cell(shell, "%%ygpt\nA1: hello", cell_id="A1").ok
    moved = cell(shell, "%%ygpt --chat other\nA1: hello, elsewhere", cell_id="A1")
    assert _note(moved) == ("↺ This cell's earlier turn stays in chat 'default'; this reply "
                            "continues chat 'other'.")
    assert len(magics.kernel.session.chats["default"].turns) == 1


def test_history_labels_a_turn_with_the_run_that_made_it(shell, ygpt_server):
    assert cell(shell, "%%ygpt\nA1: hello", cell_id="A1").ok
    asked = shell.execution_count - 1
    assert cell(shell, "%%ygpt --once\nsomething else entirely", cell_id="A1").ok   # same cell, edited
    assert cell(shell, "%%ygpt --chat other\nA1: elsewhere", cell_id="A1").ok
    elsewhere = shell.execution_count - 1
    history = cell(shell, "%ygpt history --chat default")
    assert f"[user] (In [{asked}]) A1: hello" in history.plain, history.plain
    other = cell(shell, "%ygpt history --chat other")
    assert f"[user] (In [{elsewhere}]) A1: elsewhere" in other.plain, other.plain


def test_a_system_message_set_in_the_panel_after_the_cell_survives_its_rerun(shell, magics, ygpt_server):
    """Only what a dropped cell set is undone: the panel's System box set B after cell C1's
    --system A, so re-running C1 without it keeps B, and the note claims no undo."""
    assert cell(shell, '%%ygpt --system "Answer in French"\nC1: hello', cell_id="C1").ok
    magics.kernel.session.configure(system="Answer in German")   # the panel's System box
    rerun = cell(shell, "%%ygpt\nC1: hello again", cell_id="C1")
    assert rerun.ok, rerun.message
    assert _system_sent(ygpt_server) == ["Answer in German"]
    assert "system" not in _note(rerun)
    assert magics.kernel.session.chats["default"].system == "Answer in German"


def test_a_panel_message_between_two_system_cells_comes_back_when_both_are_dropped(shell, magics, ygpt_server):
    assert cell(shell, '%%ygpt --system "Be brief"\nC1: hello', cell_id="C1").ok
    magics.kernel.session.configure(system="Answer in German")
    assert cell(shell, '%%ygpt --system "Answer in French"\nC2: next', cell_id="C2").ok
    rerun = cell(shell, "%%ygpt\nC1: hello again", cell_id="C1")
    assert _system_sent(ygpt_server) == ["Answer in German"]
    assert "(now 'Answer in German')" in _note(rerun)


def test_a_saved_and_loaded_chat_rewinds_its_system_message_the_same(shell, magics, ygpt_server, tmp_path):
    assert cell(shell, "%%ygpt\nC1: hello", cell_id="C1").ok
    assert cell(shell, '%%ygpt --system "Answer in French"\nC2: next', cell_id="C2").ok
    assert cell(shell, f"%ygpt save {tmp_path / 'chat.json'}").ok
    assert cell(shell, "%ygpt reset").ok
    assert cell(shell, f"%ygpt load {tmp_path / 'chat.json'}").ok
    rerun = cell(shell, "%%ygpt\nC1: hello again", cell_id="C1")
    assert rerun.ok, rerun.message
    assert _system_sent(ygpt_server) == []
    assert "undone (now none)" in _note(rerun)


def test_a_dry_run_of_a_rerun_says_what_running_it_would_drop_and_drops_nothing(shell, ygpt_server):
    """--dry-run changes nothing: its ↺ note is in the conditional, and the history keeps every turn."""
    assert cell(shell, '%%ygpt --system "Answer in French"\nC1: hello', cell_id="C1").ok
    assert cell(shell, "%%ygpt\nC2: next", cell_id="C2").ok
    before = cell(shell, "%ygpt history").plain
    dry = cell(shell, "%%ygpt --dry-run\nC1: hello again", cell_id="C1")
    assert dry.ok, dry.message
    assert _note(dry) == ("↺ This cell ran before: running it would rewind chat 'default' to before this "
                          "cell, so its previous turn and 1 later turn would be dropped, and the system "
                          "message a dropped cell set would be undone (back to none). This dry run "
                          "changed nothing.")
    assert "were dropped" not in dry.plain_page
    assert cell(shell, "%ygpt history").plain == before
    assert "C2: next" in before


def test_a_rerun_with_once_says_the_chat_still_holds_the_cells_earlier_turn(shell, magics, ygpt_server):
    """--once rewinds nothing (it reads and changes no chat): the old turn stays, and the cell says so."""
    assert cell(shell, "%%ygpt\nC1: hello", cell_id="C1").ok
    assert cell(shell, "%%ygpt\nC2: next", cell_id="C2").ok
    once = cell(shell, "%%ygpt --once\nC1: a question on its own", cell_id="C1")
    assert once.ok, once.message
    assert [m["text"] for m in completions(ygpt_server)[-1].messages] == ["C1: a question on its own"]
    assert _note(once) == ("↺ Chat 'default' still holds this cell's earlier turn (turn 1 of 2): --once "
                           "reads and changes no chat. To replace that turn, run the cell without --once "
                           "(the turns after it are dropped too); %ygpt reset --chat default forgets the "
                           "whole chat.")
    assert [t.prompt for t in magics.kernel.session.chats["default"].turns] == ["C1: hello", "C2: next"]
    assert "↺" not in cell(shell, "%%ygpt --once\nC3: a new cell on its own", cell_id="C3").page
