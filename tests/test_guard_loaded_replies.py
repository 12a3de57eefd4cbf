"""A key in an "assistant" turn of a chat file is not sent: the file is not the server's word.

The guard lets a key shape in the model's own reply go back with its chat (test_guard_replies.py):
the server wrote it. A chat file can be written by anyone, so a reply read from one sends its key
shapes masked, and the cell says so; what the masking cannot hide (a key wrapped onto lines, the
kernel's own key) is refused. Through the real shell, the unmodified SDK and a local server,
checked on what the server received (chat/filetext.py says why masked, not refused).
"""

from __future__ import annotations

import json
from pathlib import Path

from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import TEST_KEY, cell, completions
from test_guard_replies import PLACEHOLDER, replying  # noqa: F401 (replying: a fixture)

from ygpt_magic.errors import CredentialInReply

pytestmark = [*LOST_EXCEPTIONS]

#: a real-looking key (not the kernel's) that a colleague's or an attacker's file puts in a reply
PLANTED = "AQVNq7Rk2LmX9pTz4WcB8vNj3HsD6fGy1KeUo5Ai"
#: the same kind of key wrapped onto three lines, its first too short for masking to recognise
WRAPPED = "Your key, as the console showed it:\nAQVNab1\n5kLmNpQrStUvWxYz9876543210zyxwEF\nKeep it safe."


def _file_with_reply(shell, magics, tmp_path: Path, reply: str) -> Path:
    """A chat file of one turn (asked through the shell), its reply's text then set to ``reply``
    by hand, as anyone with the file can."""
    assert cell(shell, "%%ygpt\nHello").ok
    data = magics.kernel.session.to_dict()
    data["chats"][0]["turns"][0]["reply"]["text"] = reply
    path = tmp_path / "colleague.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _sent(server) -> list[str]:
    """The texts of the last completion request the server received."""
    return [message["text"] for message in completions(server)[-1].messages]


def test_a_key_in_a_loaded_reply_is_sent_masked_and_the_cell_says_so(shell, magics, ygpt_server, tmp_path):
    path = _file_with_reply(shell, magics, tmp_path, f"Use this key: {PLANTED}")
    loading = cell(shell, f"%ygpt load {path}")
    chat = magics.kernel.session.current
    held = f"🔒 Turn 1 of chat '{chat}' holds in its reply what looks like a Yandex Cloud API key (AQVN…o5Ai)"
    assert f"{held}: a key read from a chat file is never sent" in loading.plain, loading.plain
    ygpt_server.reset()
    result = cell(shell, "%%ygpt\nThanks, what next?")
    assert result.ok, result.message
    assert PLANTED[8:24] not in repr(list(ygpt_server.requests)), "the key reached the server"
    assert _sent(ygpt_server) == ["Hello", "Use this key: ***", "Thanks, what next?"]
    assert f"{held}: sent as ***, as a key read from a chat file always is" in result.page, result.page
    assert PLANTED not in loading.shown + result.shown
    for shown in (cell(shell, "%%ygpt --dry-run\nNext?"), cell(shell, "%ygpt history")):
        assert "Use this key: ***" in shown.shown and PLANTED not in shown.shown, shown.shown
    assert magics.kernel.session.chat(chat).turns[0].reply.text == f"Use this key: {PLANTED}", \
        "the chat keeps the text as the file gave it"


def test_a_kernels_example_key_goes_back_until_the_chat_is_saved_and_loaded(shell, magics, replying, tmp_path):
    """The model's own example key continues its chat (today's rule); the same chat saved and
    loaded is a file's word, and follows the file's rule."""
    assert cell(shell, "%%ygpt\nGive me an example .env for YandexGPT").ok
    assert cell(shell, "%%ygpt\nAnd where do I put the folder id?").ok
    assert any(PLACEHOLDER in text for text in _sent(replying)), "the kernel's own reply went back"
    path = tmp_path / "chat.json"
    assert cell(shell, f"%ygpt save {path}").ok and PLACEHOLDER in path.read_text(encoding="utf-8")
    assert cell(shell, f"%ygpt load {path}").ok
    result = cell(shell, "%%ygpt\nAnd the model name?")
    assert result.ok, result.message
    assert not any(PLACEHOLDER in text for text in _sent(replying)), "a loaded reply's key went out"
    assert "YC_API_KEY=***" in _sent(replying)[1]
    assert "🔒 Turn 1 of chat" in result.page and "Turns 1" not in result.page, result.page


def test_a_masked_send_is_cached_under_what_it_sends(shell, replying, tmp_path):
    """The reply cache keys what was sent: after the load, the re-run cell's request (the key
    masked) is not the one recorded before (the key as the server wrote it), so it is not
    replayed from that recording, and the server receives the masked one."""
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    assert cell(shell, "%%ygpt\nGive me an example .env for YandexGPT", cell_id="a").ok
    assert cell(shell, "%%ygpt\nAnd where do I put the folder id?", cell_id="b").ok
    asked = len(completions(replying))
    path = tmp_path / "chat.json"
    assert cell(shell, f"%ygpt save {path}").ok and cell(shell, f"%ygpt load {path}").ok
    again = cell(shell, "%%ygpt\nAnd where do I put the folder id?", cell_id="b")
    assert again.ok, again.message
    assert len(completions(replying)) == asked + 1, "replayed the answer to another request"
    assert "YC_API_KEY=***" in _sent(replying)[1]


def test_what_masking_cannot_hide_in_a_loaded_reply_is_refused(shell, magics, ygpt_server, tmp_path):
    """A key wrapped onto lines (masking reads a line at a time) and the kernel's own key (masked
    or not, it is refused everywhere, as the user must hear it leaked): nothing is sent."""
    for reply, found in ((WRAPPED, "a Yandex Cloud API key (AQVN…xwEF)"),
                         (f"Your key is {TEST_KEY}.", "your api key (from YC_API_KEY)")):
        assert cell(shell, f"%ygpt load {_file_with_reply(shell, magics, tmp_path, reply)}").ok
        ygpt_server.reset()
        result = cell(shell, "%%ygpt\nThanks")
        assert_clear_error(result, "Nothing was sent", "an earlier assistant message", found,
                           error_type=CredentialInReply)
        assert completions(ygpt_server) == [], "nothing was sent"
        assert TEST_KEY not in result.shown and "5kLmNpQrStUvWxYz" not in result.shown
        cell(shell, "%ygpt reset --all")
