"""The user's chats under their control: `%ygpt chats --delete NAME` and `--rename OLD NEW`,
and token counts that say which tokens they count (the kept turns', not `%ygpt usage`'s)."""

from __future__ import annotations

import comm
import pytest
from conftest import cell, completions
from test_panel import RecordingComm

from ygpt_magic.errors import ChatBusy, ChatExists, OptionError, UnknownChat


@pytest.fixture
def widget_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))


def chat_rows(shell) -> dict[str, list[str]]:
    """`%ygpt chats` as a terminal shows it: each chat's row by name (the current one's '* ')."""
    lines = cell(shell, "%ygpt chats").plain.splitlines()[1:]
    return {line.split()[0] if not line.startswith("* ") else line.split()[1]: line.split()
            for line in lines if line.strip()}


def usage_row(shell, chat: str) -> str:
    """The row of `chat` in `%ygpt usage`'s "Tokens by chat" table."""
    table = cell(shell, "%ygpt usage").displays[0]["text/plain"]
    return next(line for line in table.splitlines() if line.split()[0] == chat)


def test_a_mistyped_chat_is_deleted_and_cells_go_back_to_default(shell, magics):
    assert cell(shell, "%%ygpt\nHello", cell_id="d1").ok
    assert cell(shell, "%ygpt chat trnaslator").ok   # the typo: created at once, and current
    deleted = cell(shell, "%ygpt chats --delete trnaslator")
    assert deleted.ok, deleted.message
    assert deleted.plain == ("Deleted chat 'trnaslator': 0 turns (0 tokens) gone. It was the current "
                             "chat: cells without --chat now continue 'default'. %ygpt usage still "
                             "counts the tokens its requests used.")
    assert list(chat_rows(shell)) == ["default"]
    assert "Current chat: 'default' (1 turn)" in cell(shell, "%ygpt chat").plain
    unknown = cell(shell, "%ygpt reset --chat nosuch")
    assert "Existing chats: 'default'." in unknown.message   # the typo no longer listed


def test_deleting_a_chat_with_turns_says_what_is_lost_and_usage_keeps_its_tokens(shell, magics):
    for step in (1, 2):
        assert cell(shell, f"%%ygpt --chat notes\nNote {step}", cell_id=f"n{step}").ok
    kept = chat_rows(shell)["notes"][3]
    paid = usage_row(shell, "notes")
    deleted = cell(shell, "%ygpt chats --delete notes")
    assert deleted.plain.startswith(f"Deleted chat 'notes': 2 turns ({int(kept):,} tokens) gone. %ygpt usage")
    assert "current chat" not in deleted.plain and "chat file" not in deleted.plain
    assert "notes" not in chat_rows(shell)
    assert usage_row(shell, "notes") == paid   # they were paid for
    assert "notes" not in magics.kernel.session.chats


def test_deleting_a_saved_chat_says_its_file_is_kept(shell, tmp_path):
    assert cell(shell, "%%ygpt --chat notes\nNote 1", cell_id="n1").ok
    path = tmp_path / "chats.json"
    assert cell(shell, f"%ygpt save {path}").ok
    deleted = cell(shell, "%ygpt chats --delete notes")
    assert f"The chat file {path} it was saved to or loaded from is kept, with the chat as it was then." \
        in deleted.plain
    assert '"notes"' in path.read_text()
    cell(shell, "%ygpt reset --all")
    assert cell(shell, f"%ygpt load {path}").ok   # a loaded chat names the file it came from
    assert str(path) in cell(shell, "%ygpt chats --delete notes").plain


def test_deleting_default_empties_it_and_it_stays(shell, magics):
    assert cell(shell, "%%ygpt --system 'Answer in French'\nHello", cell_id="d1").ok
    assert cell(shell, "%ygpt config --temperature 0.2").ok
    cell(shell, "%ygpt chat other")
    emptied = cell(shell, "%ygpt chats --delete default")
    assert emptied.plain.startswith("Emptied chat 'default': 1 turn (")
    assert "with its system message and options; 'default' itself stays" in emptied.plain
    assert chat_rows(shell)["default"][:2] == ["default", "0"]   # no system message in its row
    assert len(chat_rows(shell)["default"]) == 4
    assert "chat 'default' temperature model's default" in " ".join(
        cell(shell, "%ygpt config --chat default").plain.split())
    assert magics.kernel.session.current == "other"


def test_an_unknown_name_and_a_busy_chat_are_refused_and_nothing_changes(shell, magics):
    assert cell(shell, "%%ygpt --chat notes\nNote 1", cell_id="n1").ok
    unknown = cell(shell, "%ygpt chats --delete nots")
    assert isinstance(unknown.typed_error, UnknownChat)
    assert "There is no chat named 'nots'. Existing chats: 'default', 'notes'." in unknown.message
    with magics.kernel.session.busy("notes"):   # a panel's reply streaming in
        busy = cell(shell, "%ygpt chats --delete notes")
    assert isinstance(busy.typed_error, ChatBusy)
    both = cell(shell, "%ygpt chats --delete notes --rename notes memo")
    assert isinstance(both.typed_error, OptionError) and "not both" in both.message
    assert chat_rows(shell)["notes"][1] == "1"


def test_rename_moves_the_conversation_and_the_current_chat_follows(shell, ygpt_server, magics):
    assert cell(shell, "%ygpt chat trnaslator").ok
    assert cell(shell, "%%ygpt --system 'Translate into German'\nGood morning", cell_id="t1").ok
    renamed = cell(shell, "%ygpt chats --rename trnaslator translator")
    assert renamed.plain == ("Renamed chat 'trnaslator' to 'translator' (1 turn). %ygpt usage lists "
                             "its earlier requests under 'trnaslator'.")
    assert list(chat_rows(shell)) == ["default", "translator"]
    assert chat_rows(shell)["translator"][0] == "*"
    assert cell(shell, "%%ygpt\nGood night", cell_id="t2").ok   # continues it, history and all
    sent = completions(ygpt_server)[-1].messages
    assert [m["text"] for m in sent][:2] == ["Translate into German", "Good morning"]
    assert "Current chat: 'translator' (2 turns)" in cell(shell, "%ygpt chat").plain
    assert usage_row(shell, "trnaslator").split()[1] == "1"   # as the output said
    assert usage_row(shell, "translator").split()[1] == "1"


def test_rename_refuses_a_taken_or_unknown_name(shell, magics):
    cell(shell, "%ygpt chat notes")
    taken = cell(shell, "%ygpt chats --rename notes default")
    assert isinstance(taken.typed_error, ChatExists)
    assert "There is already a chat named 'default'" in taken.message
    assert "%ygpt chats --delete default" in taken.message
    assert isinstance(cell(shell, "%ygpt chats --rename nosuch x").typed_error, UnknownChat)
    assert list(chat_rows(shell)) == ["default", "notes"]


def test_renaming_default_leaves_an_empty_default(shell, magics):
    assert cell(shell, "%%ygpt\nHello", cell_id="d1").ok
    renamed = cell(shell, "%ygpt chats --rename default first")
    assert renamed.plain.endswith("'default' starts over, empty.")
    rows = chat_rows(shell)
    assert rows["default"][1] == "0" and rows["first"][:2] == ["*", "first"] and rows["first"][2] == "1"


def test_the_tokens_column_says_it_counts_the_kept_turns(shell):
    assert cell(shell, "%%ygpt\nFirst", cell_id="a").ok
    assert cell(shell, "%%ygpt\nFirst, again", cell_id="a").ok   # a re-run: the first turn dropped
    header = cell(shell, "%ygpt chats").plain.splitlines()[0]
    assert header.split() == ["chat", "turns", "model", "kept", "tokens", "system"]
    kept = int(chat_rows(shell)["default"][4])
    every = usage_row(shell, "default").split()
    assert int(every[1]) == 2 and kept < int(every[-3].replace(",", ""))   # usage counts both requests


def test_the_panel_list_follows_a_delete_and_a_rename(shell, magics, widget_comm):
    assert cell(shell, "%%ygpt --chat sea\nTell me about the sea", cell_id="s1").ok
    cell(shell, "%ygpt chat lake")
    on_sea = shell.run_line_magic("ygpt", "panel --chat sea")
    following = shell.run_line_magic("ygpt", "panel")
    try:
        assert on_sea.controls.totals.value.startswith("1 turn · ")
        assert " tokens kept" in on_sea.controls.totals.value
        assert "%ygpt usage" in on_sea.controls.totals.tooltip
        cell(shell, "%ygpt chats --rename sea ocean")
        assert on_sea.chat_name == "ocean" and tuple(on_sea.controls.chat.options) == ("default", "ocean", "lake")
        cell(shell, "%ygpt chats --delete lake")
        assert following.chat_name == "default"
        assert tuple(following.controls.chat.options) == ("default", "ocean")
        cell(shell, "%ygpt chats --delete ocean")
        assert on_sea.chat_name == "default" and tuple(on_sea.controls.chat.options) == ("default",)
    finally:
        on_sea.close()
        following.close()
