"""Chat files a user loads with `%ygpt load`: a file saved by an older version, with turns whose
reply is empty, loads without them and says which were left out."""

from __future__ import annotations

import json

from cellrun import assert_clean, assert_clear_error, run
from conftest import completions

from ygpt_magic.errors import FileNotWritten


def old_file(replies: list[str]) -> dict:
    """A version-1 chat file of chat 'notes', one turn per reply, as versions that recorded
    empty replies wrote it."""
    turns = [{"prompt": f"Question {n}", "cell_id": f"c{n}",
              "reply": {"text": text, "status": "FINAL", "model": "yandexgpt", "model_version": "23.10.2024",
                        "elapsed": 1.0, "usage": {"input_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}}
             for n, text in enumerate(replies, 1)]
    return {"version": 1, "current": "notes",
            "chats": [{"name": "notes", "system": None, "options": {}, "turns": turns}]}


def test_an_old_chat_file_with_an_empty_reply_loads_without_that_turn(shell, ygpt_server, magics, tmp_path):
    """It was refused as a whole (``chats[0].turns[2].reply.text is empty``), and the chat lost."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old_file(["Answer 1", "Answer 2", "", "Answer 4"])), encoding="utf-8")
    loaded = run(shell, f"%ygpt load {path}")
    assert loaded.ok, loaded.message
    assert_clean(loaded)
    assert loaded.plain.splitlines() == [
        f"Loaded 1 chat with 3 turns from {path}; current chat: 'notes'.",
        "Turn 3 of chat 'notes' had an empty reply and was left out, with its prompt."]
    assert "Turn 3 of chat 'notes' had an empty reply" in loaded.page
    assert run(shell, "%%ygpt\nQuestion 5").ok
    sent = completions(ygpt_server)[-1].messages
    assert [(m["role"], m["text"]) for m in sent[:-1]] == [
        ("user", "Question 1"), ("assistant", "Answer 1"), ("user", "Question 2"), ("assistant", "Answer 2"),
        ("user", "Question 4"), ("assistant", "Answer 4")]
    assert [turn.prompt for turn in magics.kernel.session.chat("notes").turns][-1] == "Question 5"


#: the fields of a turn every version-1 reader takes (ygpt_magic of 2026-12-06 took these; that of
#: 2026-11-23 the first three)
VERSION_1_TURN = {"prompt", "cell_id", "reply", "images", "notes"}


def test_a_chat_whose_cell_set_its_system_message_is_saved_as_version_3(shell, ygpt_server, tmp_path):
    """Older versions read versions 1 and 2 and refuse a turn's system_set by name ("unknown
    field(s) system_set"); a file holding it says version 3, which they refuse by its number."""
    assert run(shell, '%%ygpt --system "You are terse"\nHello there').ok
    assert run(shell, "%%ygpt --chat plain\nHello").ok
    assert run(shell, f"%ygpt save {tmp_path / 'chats.json'}").ok
    data = json.loads((tmp_path / "chats.json").read_text(encoding="utf-8"))
    assert data["version"] == 3
    assert data["chats"][0]["turns"][0]["system_set"] == {"before": None, "to": "You are terse"}
    assert run(shell, "%ygpt reset --chat default").ok   # nothing left that sets a system message
    assert run(shell, f"%ygpt save {tmp_path / 'plain.json'}").ok
    plain = json.loads((tmp_path / "plain.json").read_text(encoding="utf-8"))
    assert plain["version"] == 1
    assert {field for chat in plain["chats"] for turn in chat["turns"] for field in turn} <= VERSION_1_TURN


def test_a_file_labelled_version_1_with_system_set_still_loads_and_rewinds(shell, ygpt_server, magics, tmp_path):
    """As the versions of 2026-12-07 before version 3 wrote it."""
    data = old_file(["Answer 1"])
    data["chats"][0]["system"] = "You are terse"
    data["chats"][0]["turns"][0]["system_set"] = {"before": None, "to": "You are terse"}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = run(shell, f"%ygpt load {path}")
    assert loaded.plain.startswith(f"Loaded 1 chat with 1 turn from {path}"), loaded.message
    assert run(shell, "%%ygpt\nQuestion 1", cell_id="c1").ok   # the re-run of the cell that set it
    assert magics.kernel.session.chat("notes").system is None
    assert completions(ygpt_server)[-1].messages == [{"role": "user", "text": "Question 1"}]


def test_a_file_of_a_newer_version_says_to_upgrade(shell, tmp_path):
    data = old_file(["Answer 1"])
    data["version"] = 5
    path = tmp_path / "new.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    message = assert_clear_error(run(shell, f"%ygpt load {path}"), "written by a newer ygpt_magic",
                                 "its version is 5, and this ygpt_magic reads versions 1, 2, 3 and 4",
                                 "upgrade ygpt_magic (pip install -U ygpt-magic)", "unchanged")
    assert "unknown field" not in message


def test_a_chat_file_an_editor_saved_with_a_bom_loads(shell, ygpt_server, magics, tmp_path):
    """Older Windows Notepad saves "UTF-8 with BOM"; the file was refused in Python's words (it
    is not valid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig) …)), although it is."""
    path = tmp_path / "chats.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(old_file(["Ответ 1"]), ensure_ascii=False).encode("utf-8"))
    loaded = run(shell, f"%ygpt load {path}")
    assert loaded.ok, loaded.message
    assert loaded.plain == f"Loaded 1 chat with 1 turn from {path}; current chat: 'notes'."
    assert magics.kernel.session.chats["notes"].turns[0].reply.text == "Ответ 1"


def test_a_save_over_a_file_holding_other_chats_keeps_them_in_a_copy_and_says_so(shell, ygpt_server, tmp_path,
                                                                                 monkeypatch):
    """chats.json as another notebook (or this one before a restart) saved it; this kernel never
    loaded it. The save replaces it, as a load replaces the chats, and keeps what it held."""
    monkeypatch.chdir(tmp_path)   # the notebook's folder, where the copy goes
    path = tmp_path / "chats.json"
    theirs = old_file(["Answer 1", "Answer 2"])
    path.write_text(json.dumps(theirs), encoding="utf-8")
    assert run(shell, "%%ygpt\nA question of this notebook").ok
    saved = run(shell, f"%ygpt save {path}")
    first, kept = saved.plain.split(". It replaced a file holding ")
    assert first == f"Saved 1 chat to {path}"
    copy = kept.split(" is kept in ")[1].split(", and")[0]
    assert kept == (f"1 chat ('notes'; 2 turns) this save does not include; the file as it was is kept "
                    f"in {copy}, and %ygpt load {copy} brings them back.")
    assert json.loads(open(copy, encoding="utf-8").read()) == theirs
    assert [chat["name"] for chat in json.loads(path.read_text(encoding="utf-8"))["chats"]] == ["default"]
    assert run(shell, f"%ygpt load {copy}").ok
    assert "notes" in run(shell, "%ygpt chats").plain


def test_saving_again_what_this_kernel_saved_or_loaded_says_nothing_more(shell, ygpt_server, tmp_path):
    path = tmp_path / "chats.json"
    path.write_text(json.dumps(old_file(["Answer 1"])), encoding="utf-8")
    assert run(shell, f"%ygpt load {path}").ok
    assert run(shell, "%%ygpt\nQuestion 2").ok      # the loaded chat, continued
    assert run(shell, f"%ygpt save {path}").plain == f"Saved 1 chat to {path}."
    assert run(shell, "%%ygpt --chat more\nHello").ok
    assert run(shell, f"%ygpt save {path}").plain == f"Saved 2 chats to {path}."


def test_a_save_that_cannot_keep_the_chats_it_would_replace_saves_nothing(shell, ygpt_server, tmp_path, monkeypatch):
    path = tmp_path / "chats.json"
    path.write_text(json.dumps(old_file(["Answer 1"])), encoding="utf-8")
    before = path.read_bytes()
    assert run(shell, "%%ygpt\nA question of this notebook").ok
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".ipynb_checkpoints").write_text("")   # a file where the copies' folder would be
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "gone"))   # and no temporary folder
    assert_clear_error(run(shell, f"%ygpt save {path}"), f"Could not write '{path}'",
                       "it holds 1 chat ('notes'; 1 turn) this save does not include",
                       "could not be kept in a copy first (No such file or directory)",
                       "Nothing was written", "save to another path")
    assert path.read_bytes() == before


def test_a_save_over_a_file_that_is_not_a_chat_file_refuses_and_leaves_it(shell, ygpt_server, tmp_path):
    """Notes or data named by mistake: a copy in .ipynb_checkpoints is one the user would
    not know to look for, so the save writes nothing and says to pick another name."""
    assert run(shell, "%%ygpt\nA question of this notebook").ok
    for name, content, what in (("notes.txt", "Meeting notes\n- budget", "it is not valid JSON"),
                                ("data.json", '{"rows": [1, 2, 3]}', "it is JSON without the 'version' and 'chats'")):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert_clear_error(run(shell, f"%ygpt save {path}"), f"Could not write '{path}'",
                           f"the file there is not a chat file ({what}", "a save would replace it",
                           "Nothing was written", "save to another name, or delete that file first",
                           error_type=FileNotWritten)
        assert path.read_text(encoding="utf-8") == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.json", "notes.txt"]
    empty = tmp_path / "chats.json"
    empty.touch()      # as a user makes the file before saving to it: nothing there to keep
    assert run(shell, f"%ygpt save {empty}").plain == f"Saved 1 chat to {empty}."


def test_a_save_over_a_newer_versions_chat_file_keeps_it_in_a_copy(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "chats.json"
    theirs = old_file(["Answer 1"]) | {"version": 5}
    path.write_text(json.dumps(theirs), encoding="utf-8")
    assert run(shell, "%%ygpt\nA question of this notebook").ok
    saved = run(shell, f"%ygpt save {path}").plain
    copy = saved.split(" is kept in ")[1].split(", and")[0]
    assert saved == (f"Saved 1 chat to {path}. It replaced a chat file written by a newer ygpt_magic (version 5); "
                     f"the file as it was is kept in {copy}, and a newer ygpt_magic loads it.")
    assert json.loads(open(copy, encoding="utf-8").read()) == theirs
    assert json.loads(path.read_text(encoding="utf-8"))["chats"][0]["name"] == "default"
