"""A chat loaded from a file that holds the kernel's key (a colleague's file, or a prompt once
pasted with it): never shown or written unmasked, in any view. Moved from test_secrets.py (over
400 lines), whose canary scans and helpers these import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cellrun import LOST_EXCEPTIONS, run
from test_secrets import API_KEY, leaks, use_env, widget_states

pytestmark = [*LOST_EXCEPTIONS]


def test_a_chat_loaded_with_the_key_in_it_shows_and_saves_it_masked(shell, magics, monkeypatch, tmp_path):
    """A colleague's file, or a prompt once pasted with the key: the guard refuses to send such
    a chat, and no command shows or writes the key either (history, chats, load, save, export)."""
    use_env(monkeypatch, "YC_API_KEY", API_KEY)
    assert run(shell, '%%ygpt --system "Be brief."\nHello', cell_id="a").ok
    data = magics.kernel.session.to_dict()
    data["chats"][0]["turns"][0]["prompt"] = f"my key is {API_KEY}, why is it refused?"
    data["chats"][0]["system"] = f"You help with Yandex Cloud. The key in use is {API_KEY}."
    data["chats"][0]["name"] = data["current"] = f"key {API_KEY}"
    colleague = tmp_path / "colleague.json"
    colleague.write_text(json.dumps(data), encoding="utf-8")
    again, transcript = tmp_path / "again.json", tmp_path / "again.md"
    shown = [run(shell, f"%ygpt load {colleague}"), run(shell, "%ygpt history"), run(shell, "%ygpt chats"),
             run(shell, f"%ygpt save {again}"), run(shell, f"%ygpt export {transcript}")]
    assert all(cell.ok for cell in shown), [cell.message for cell in shown]
    history, chats, saved = shown[1], shown[2], shown[3]
    assert "my key is AQVN…x9Qz, why is it refused?" in history.plain
    assert "* key AQVN…x9Qz" in chats.plain
    assert "A credential of this kernel found in them was written masked" in saved.plain
    written = again.read_text(encoding="utf-8")
    assert not leaks("".join(cell.shown for cell in shown) + written + transcript.read_text(encoding="utf-8"))
    assert json.loads(written)["chats"][0]["system"] == "You help with Yandex Cloud. The key in use is AQVN…x9Qz."
    run(shell, "%ygpt reset --all")
    assert "masked" not in run(shell, f"%ygpt save {tmp_path / 'clean.json'}").plain


def _load_with_key(shell, magics, tmp_path: Path, *, name: bool, system: bool) -> None:
    """A colleague's file whose current chat's name or system message holds the kernel's key."""
    assert run(shell, '%%ygpt --system "Be brief."\nHello', cell_id="a").ok
    data = magics.kernel.session.to_dict()
    if name:
        data["chats"][0]["name"] = data["current"] = f"key {API_KEY}"
    if system:
        data["chats"][0]["system"] = f"key {API_KEY}"
    colleague = tmp_path / "colleague.json"
    colleague.write_text(json.dumps(data), encoding="utf-8")
    assert run(shell, f"%ygpt load {colleague}").ok


@pytest.mark.parametrize("source", ["%ygpt whoami", "%ygpt config", "%ygpt usage", "%ygpt panel",
                                    "%%ygpt --dry-run\nNext?", "%%ygpt\nNext?", "%ygpt reset"])
@pytest.mark.slow
def test_a_loaded_chat_name_holding_the_key_is_masked_in_every_view(shell, magics, monkeypatch, tmp_path, source):
    """secrets2.md F3: the name is masked as the chat is loaded, so whoami, config, usage, the
    panel's title, the dry run, the ↺ note of a re-run cell and reset all show it masked."""
    use_env(monkeypatch, "YC_API_KEY", API_KEY)
    _load_with_key(shell, magics, tmp_path, name=True, system=False)
    if source == "%ygpt usage":
        assert run(shell, "%%ygpt\nNext question", cell_id="b").ok
    shown = run(shell, source, cell_id="a" if source.startswith("%%") else None)
    assert shown.ok, shown.message
    assert "key AQVN…x9Qz" in shown.shown, shown.shown[:600]
    assert not leaks(shown.shown + json.dumps(widget_states()))
    assert magics.kernel.session.current == "key AQVN…x9Qz", "what the views show is what --chat takes"


def test_config_shows_a_loaded_system_message_masked(shell, magics, monkeypatch, tmp_path):
    use_env(monkeypatch, "YC_API_KEY", API_KEY)
    _load_with_key(shell, magics, tmp_path, name=False, system=True)
    config = run(shell, "%ygpt config")
    assert "key AQVN…x9Qz" in config.plain and not leaks(config.shown), config.plain
