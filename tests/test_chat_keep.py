"""Chats a user set up are kept: `%ygpt load` of another file and `%reload_ext` write the chats
a user would miss to a file they name, with the `%ygpt load` that brings them back, and a chat
that does not exist yet is pointed to the free way to create it."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import cell


def _kept_file(text: str) -> Path:
    """The file a message says the chats were written to, after checking it says how to load it."""
    path = re.search(r"(?:was|were) written to (\S+\.json);", text).group(1)
    assert f"%ygpt load {path} brings them back" in text
    return Path(path)


def test_load_keeps_the_chats_it_replaces_and_says_how_to_get_them_back(shell, magics, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # the notebook's folder, where the copies go
    assert cell(shell, "%%ygpt --chat colleague\nTheir question", cell_id="X1").ok
    colleague = tmp_path / "colleague.json"
    assert cell(shell, f"%ygpt save {colleague}").ok
    cell(shell, "%ygpt reset --all")
    for step in range(1, 4):   # an hour of my own work, never saved
        assert cell(shell, f"%%ygpt --chat analysis\nMy step {step}", cell_id=f"M{step}").ok

    loaded = cell(shell, f"%ygpt load {colleague}")
    assert loaded.ok, loaded.message
    assert "Loaded 2 chats with 1 turn" in loaded.plain
    # the file keeps every chat, the empty 'default' too: each is named, as many as counted
    assert "The 2 chats (3 turns) it replaced ('default', 'analysis') were written to" in loaded.plain
    copy = _kept_file(loaded.plain)
    assert "analysis" not in magics.kernel.session.chats

    back = cell(shell, f"%ygpt load {copy}")   # and the colleague's chats are kept in turn
    assert back.ok and re.search(r"it replaced \([^)]*'colleague'", back.plain), back.plain
    prompts = [turn.prompt for turn in magics.kernel.session.chats["analysis"].turns]
    assert prompts == ["My step 1", "My step 2", "My step 3"]
    for path in (copy, _kept_file(back.plain)):
        path.unlink()


def test_load_over_empty_chats_keeps_nothing_and_says_nothing_more(shell, tmp_path):
    saved = tmp_path / "chats.json"
    assert cell(shell, "%%ygpt\nHello", cell_id="a").ok
    assert cell(shell, f"%ygpt save {saved}").ok
    cell(shell, "%ygpt reset --all")
    loaded = cell(shell, f"%ygpt load {saved}")
    assert loaded.plain == f"Loaded 1 chat with 1 turn from {saved}; current chat: 'default'."


def test_a_load_that_cannot_keep_the_chats_it_replaces_loads_nothing(shell, magics, tmp_path, monkeypatch):
    other = tmp_path / "other.json"
    assert cell(shell, f"%ygpt save {other}").ok
    assert cell(shell, "%%ygpt --chat analysis\nMy step 1", cell_id="M1").ok
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".ipynb_checkpoints").write_text("")   # a file where the copies' folder would be
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "gone"))   # and no temporary folder
    refused = cell(shell, f"%ygpt load {other}")
    assert refused.typed_error is not None and "could not be kept" in refused.message
    assert "%ygpt save PATH" in refused.message and "unchanged" in refused.message
    assert len(magics.kernel.session.chats["analysis"].turns) == 1


def test_reload_keeps_a_chat_set_up_before_its_first_cell(shell, ygpt_server, tmp_path, monkeypatch):
    """A chat with options but no turns yet is work too; the request counts start again."""
    monkeypatch.chdir(tmp_path)
    cell(shell, "%ygpt chat translator")
    assert cell(shell, "%ygpt config --chat translator --model yandexgpt-lite --temperature 0.2").ok
    cell(shell, "%ygpt chat default")
    assert cell(shell, "%%ygpt --once\nHello").ok   # counted by %ygpt usage, no turn
    assert "Tokens by chat" in cell(shell, "%ygpt usage").plain_page
    reload = cell(shell, "%reload_ext ygpt_magic")
    assert "its 2 chats (0 turns) were written to" in reload.stdout
    assert "%ygpt usage from zero" in reload.stdout
    copy = _kept_file(reload.stdout)
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    assert "No request has been answered" in cell(shell, "%ygpt usage").plain
    assert cell(shell, f"%ygpt load {copy}").ok
    config = " ".join(cell(shell, "%ygpt config --chat translator").plain.split())
    assert "chat 'translator' model yandexgpt-lite chat" in config
    copy.unlink()


def test_configuring_a_chat_that_does_not_exist_says_how_to_create_it_for_free(shell, magics):
    refused = cell(shell, "%ygpt config --chat translator --temperature 0.2")
    assert "%ygpt chat translator (nothing is sent" in refused.message
    assert cell(shell, "%ygpt chat translator").ok
    assert cell(shell, "%ygpt config --chat translator --temperature 0.2").ok
    assert magics.kernel.session.chats["translator"].options.temperature == 0.2


def test_load_names_as_many_chats_as_it_counts(shell, tmp_path, monkeypatch):
    """findings/docstruth2 D6: 3 chats were counted and 2 named (the empty 'default' left out)."""
    monkeypatch.chdir(tmp_path)
    assert cell(shell, "%%ygpt\nErors wont corrct themselfs", cell_id="a").ok
    assert cell(shell, "%ygpt chats --rename default notes").ok
    assert cell(shell, "%ygpt chat other").ok
    assert cell(shell, "%ygpt config --model yandexgpt-lite").ok
    saved = tmp_path / "chats.json"
    assert cell(shell, f"%ygpt save {saved}").ok
    assert cell(shell, "%%ygpt --chat notes\nAnd the rest?", cell_id="b").ok   # not in the file
    loaded = cell(shell, f"%ygpt load {saved}")
    assert loaded.ok, loaded.message
    said = re.search(r"The (\d+) chats \(2 turns\) it replaced \(([^)]*)\)", loaded.plain)
    assert said, loaded.plain
    assert said.group(1) == "3" and sorted(said.group(2).split(", ")) == ["'default'", "'notes'", "'other'"]
    _kept_file(loaded.plain).unlink()


def test_the_copy_a_load_keeps_has_the_same_name_on_every_machine_and_outlives_the_temporary_folder(
        shell, tmp_path, monkeypatch):
    """findings/reopen 5: the copy went to the temporary folder, whose path differs between
    machines (/tmp, macOS's /var/folders/…, a runner's TMPDIR), so the stored output failed nbval
    in CI, and a reboot empties it, so the next day "brings them back" named nothing. The same
    cells on two machines (two checkouts, two temporary folders) now say the same line."""
    said = []
    for machine in ("laptop", "runner"):
        checkout = tmp_path / machine / "project"
        checkout.mkdir(parents=True)
        monkeypatch.chdir(checkout)
        monkeypatch.setattr("tempfile.tempdir", str(tmp_path / machine))
        cell(shell, "%ygpt reset --all")
        assert cell(shell, "%%ygpt --chat colleague\nTheir question", cell_id="X1").ok
        assert cell(shell, "%ygpt save colleague.json").ok
        cell(shell, "%ygpt reset --all")
        assert cell(shell, "%%ygpt\nMy own question", cell_id="M1").ok
        loaded = cell(shell, "%ygpt load colleague.json")
        assert loaded.ok, loaded.message
        said.append(loaded.plain)
        copy = _kept_file(loaded.plain)
        assert not copy.is_absolute() and (checkout / copy).parent == checkout / ".ipynb_checkpoints"
    assert said[0] == said[1]
    for machine in ("laptop", "runner"):   # a reboot empties the temporary folders: the copies stay
        for left in (tmp_path / machine).glob("ygpt-chats-*"):
            left.unlink()
    monkeypatch.chdir(tmp_path / "laptop" / "project")
    assert cell(shell, f"%ygpt load {copy}").ok
    assert [turn.prompt for turn in shell.magics_manager.registry["YGptMagics"].kernel.session.chats[
        "default"].turns] == ["My own question"]


def test_loading_back_the_chats_just_saved_keeps_nothing_and_says_nothing_more(shell, tmp_path, monkeypatch):
    """A notebook that saves its chats and loads them back (findings/reopen 5) wrote a copy of
    chats the file holds and named it: nothing would have been lost."""
    monkeypatch.chdir(tmp_path)
    assert cell(shell, "%%ygpt\nWho was Einstein?", cell_id="a").ok
    assert cell(shell, "%ygpt save chats.json").ok
    loaded = cell(shell, "%ygpt load chats.json")
    assert loaded.plain == "Loaded 1 chat with 1 turn from chats.json; current chat: 'default'.", loaded.plain
    assert not (tmp_path / ".ipynb_checkpoints").exists()
