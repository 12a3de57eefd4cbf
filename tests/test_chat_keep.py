"""Chats kept when something replaces them: `%ygpt load` of another file and `%reload_ext`
write the chats a user would miss to a file they name, with the `%ygpt load` that brings them
back, as one line of the output says."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import cell


def _kept_file(text: str) -> Path:
    """The file a message says the chats were written to, after checking it says how to load it."""
    path = re.search(r"were written to (\S+\.json);", text).group(1)
    assert f"%ygpt load {path} brings them back" in text
    return Path(path)


def test_reload_keeps_a_chat_set_up_before_its_first_cell(shell, ygpt_server):
    """A chat with options but no turns yet is work too; the request counts start again."""
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
