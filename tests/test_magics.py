"""User stories of %%ygpt, end to end: a real shell, the unmodified SDK, the local server."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from cellrun import assert_interrupted
from conftest import Cell, cell, completions, scripted
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.utils.capture import capture_output
from visible import read

import ygpt_magic.emulator

SCRIPTS = Path(ygpt_magic.emulator.__file__).parent / "scripts" / "tutorials.json"
EINSTEIN = [
    "Hi! What fields of science did Albert Einstein study?",
    "What important discoveries did he make?",
    "Make it shorter",
]


def scripted_reply(user: str) -> str:
    """The server's FINAL text for a scripted prompt (read from its script, not copied)."""
    replies = json.loads(SCRIPTS.read_text(encoding="utf-8"))["replies"]
    return next(item["reply"] for item in replies if item["user"] == user)


def turns(magics, chat: str = "default") -> int:
    return len(magics.kernel.session.chats[chat].turns) if chat in magics.kernel.session.chats else 0


def test_translation_with_a_system_message(shell, ygpt_server):
    result = cell(shell, '%%ygpt --system "Translate the text into French"\n'
                         "To be, or not to be: that is the question.\n")
    assert result.error is None
    assert "Être ou ne pas être : telle est la question." in result.final
    assert "yandexgpt · local server · scripted ·" in result.final and "tokens" in result.final  # footer
    [request] = completions(ygpt_server)
    assert request.stream and request.messages == [
        {"role": "system", "text": "Translate the text into French"},
        {"role": "user", "text": "To be, or not to be: that is the question."},
    ]
    reply = shell.user_ns["_ygpt"]
    assert reply.text == "Être ou ne pas être : telle est la question."
    assert reply.status == "FINAL" and reply.model_version == "local server · scripted"
    assert reply.usage.input_tokens > 0 and reply.elapsed > 0


def test_correction_in_prompt_mode_leaves_the_chat_alone(shell, ygpt_server, magics):
    cell(shell, "%%ygpt\n" + EINSTEIN[0], cell_id="a")
    result = cell(shell, "%%ygpt --once\nErors wont corrct themselfs", cell_id="b")
    assert "Errors will not correct themselves." in result.final
    assert completions(ygpt_server)[-1].messages == [
        {"role": "user", "text": "Erors wont corrct themselfs"}]
    assert turns(magics) == 1


def test_the_einstein_chat_resends_the_whole_history(shell, ygpt_server):
    system = "You are a patient teacher of the history of science"
    for index, prompt in enumerate(EINSTEIN):
        flags = f'--system "{system}"' if index == 0 else ""
        result = cell(shell, f"%%ygpt {flags}\n{prompt}\n", cell_id=f"einstein-{index}")
        assert scripted_reply(prompt).splitlines()[0] in result.final
    sent = [request.messages for request in completions(ygpt_server)]
    assert [len(messages) for messages in sent] == [2, 4, 6]
    assert [m["role"] for m in sent[-1]] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert sent[-1][2]["text"] == scripted_reply(EINSTEIN[0])
    assert sent[-1][0]["text"] == system


def test_a_slow_stream_updates_the_display_at_most_ten_times_a_second(shell, ygpt_server):
    ygpt_server.faults.latency(0.02)
    started = time.monotonic()
    result = cell(shell, "%%ygpt\n" + EINSTEIN[0])
    elapsed = time.monotonic() - started
    streamed = [o for o in result.outputs if o["update"]][:-1]  # the last update is the final render
    assert len(streamed) > 1
    assert len(streamed) <= 10 * elapsed + 2
    assert shell.user_ns["_ygpt"].text == scripted_reply(EINSTEIN[0])
    assert read(scripted_reply(EINSTEIN[0])) in result.final


def test_a_stream_restarted_by_a_retry_shows_no_duplicated_text(shell, ygpt_server):
    ygpt_server.faults.break_stream_after(3, "UNAVAILABLE")
    result = cell(shell, "%%ygpt\n" + EINSTEIN[0])
    expected = scripted_reply(EINSTEIN[0])
    first_line = expected.splitlines()[0]
    assert result.error is None and len(completions(ygpt_server)) == 2
    for output in result.outputs:
        for value in output["data"].values():
            assert str(value).count(first_line) <= 1
    assert shell.user_ns["_ygpt"].text == expected


def test_rerunning_a_cell_rewinds_the_chat(shell, ygpt_server, magics):
    for index, prompt in enumerate(EINSTEIN):
        cell(shell, f"%%ygpt\n{prompt}", cell_id=f"c{index}")
    result = cell(shell, "%%ygpt\n" + EINSTEIN[1], cell_id="c1")
    assert "2 later turn" not in result.final and "1 later turn" in result.final
    assert len(completions(ygpt_server)[-1].messages) == 3
    assert [t.cell_id for t in magics.kernel.session.chats["default"].turns] == ["c0", "c1"]


def test_append_adds_a_turn_even_for_the_same_cell(shell, ygpt_server, magics):
    cell(shell, "%%ygpt\n" + EINSTEIN[0], cell_id="c0")
    cell(shell, "%%ygpt --append\n" + EINSTEIN[1], cell_id="c0")
    assert len(completions(ygpt_server)[-1].messages) == 3
    assert turns(magics) == 2


def test_without_a_cell_id_turns_are_appended(shell, ygpt_server, magics):
    cell(shell, "%%ygpt\n" + EINSTEIN[0])
    cell(shell, "%%ygpt\n" + EINSTEIN[0])
    assert len(completions(ygpt_server)[-1].messages) == 3 and turns(magics) == 2
    # a cell id is remembered for its own cell only, never for the next one
    cell(shell, "%%ygpt\n" + EINSTEIN[1], cell_id="x")
    shell.run_cell_magic("ygpt", "", EINSTEIN[2])
    assert turns(magics) == 4


@pytest.mark.slow
def test_an_empty_reply_is_shown_with_a_note_and_kept_out_of_the_chat(shell, magics, tmp_path):
    """An answer with no text (a reasoning model that spent its tokens thinking) would go out
    with every later cell as an empty message, which the server refuses: it is not recorded,
    and the cell says so and what to do; the chat goes on."""
    with scripted(shell, tmp_path, "say nothing", ""):
        assert cell(shell, "%%ygpt\nHello", cell_id="a").error is None
        empty = cell(shell, "%%ygpt\nsay nothing", cell_id="b")
        after = cell(shell, "%%ygpt\nAnd then?", cell_id="c")
    assert empty.error is None and "→ 0 tokens" in empty.final
    assert "The model returned no text, so the chat was left as it was" in empty.final
    assert "Run the cell again; if the model spent --max-tokens on reasoning, raise it." in empty.plain
    assert after.error is None, after.message
    assert [t.prompt for t in magics.kernel.session.chats["default"].turns] == ["Hello", "And then?"]


class InterruptingPublisher(CapturingDisplayPublisher):
    """Delivers display messages like the kernel, and presses Ctrl-C once, on the given
    streaming update (the chunk loop is running then)."""

    def __init__(self, on_update: int):
        super().__init__()
        self.on_update, self.seen = on_update, 0

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False):
        super().publish(data, metadata, source, transient=transient, update=update)
        if update:
            self.seen += 1
            if self.seen == self.on_update:
                raise KeyboardInterrupt


def run_interrupted(shell, source: str, on_update: int = 2) -> Cell:
    publisher, saved = InterruptingPublisher(on_update), shell.display_pub
    shell.display_pub = publisher
    try:
        with capture_output(display=False) as captured:
            result = shell.run_cell(source, store_history=True, cell_id="ctrl-c")
    finally:
        shell.display_pub = saved
    outputs = [{"data": o["data"], "update": o["update"]} for o in publisher.outputs]
    return Cell(source, captured.stdout, captured.stderr, outputs, result.error_in_exec)


def test_ctrl_c_keeps_the_partial_text_marked_and_the_chat_unchanged(shell, ygpt_server, magics):
    cell(shell, "%%ygpt\n" + EINSTEIN[0], cell_id="first")
    ygpt_server.faults.latency(0.03)
    shell.run_line_magic("config", "YGptMagics.render_interval = 0.0")
    result = run_interrupted(shell, "%%ygpt\n" + EINSTEIN[1])
    reply = shell.user_ns["_ygpt"]
    assert_interrupted(result)
    assert reply.status == "INTERRUPTED"
    assert reply.text and scripted_reply(EINSTEIN[1]).startswith(reply.text)
    assert reply.text != scripted_reply(EINSTEIN[1])
    assert "interrupted" in result.final and reply.text.splitlines()[0] in result.final
    assert turns(magics) == 1
    ygpt_server.faults.clear()
    after = cell(shell, "%%ygpt\n" + EINSTEIN[1], cell_id="next")
    assert after.error is None and turns(magics) == 2
    assert len(completions(ygpt_server)[-1].messages) == 3


def test_reloading_the_extension_keeps_the_chats_in_a_file_it_names(ipython, clean_env, tmp_path, monkeypatch):
    """%reload_ext (which IPython suggests to a second %load_ext) starts a new kernel state."""
    monkeypatch.chdir(tmp_path)   # the notebook's folder, where the chats are kept
    manager = ipython.extension_manager
    manager.load_extension("ygpt_magic")
    try:
        ipython.run_line_magic("ygpt", "connect local")
        assert cell(ipython, "%%ygpt\nErors wont corrct themselfs").ok
        with capture_output() as said:
            manager.reload_extension("ygpt_magic")
        path = re.search(r"was written to (\S+\.json);", said.stdout).group(1)
        assert "its 1 chat (1 turn) was written" in said.stdout and f"%ygpt load {path}" in said.stdout
        assert cell(ipython, f"%ygpt load {path}").ok
        chats = ipython.magics_manager.registry["YGptMagics"].kernel.session.chats
        assert len(chats["default"].turns) == 1
        Path(path).unlink()
    finally:
        with capture_output():
            manager.unload_extension("ygpt_magic")


def test_load_ext_registers_the_magic_and_unload_stops_the_local_server(ipython, clean_env):
    manager = ipython.extension_manager
    manager.load_extension("ygpt_magic")
    try:
        ipython.run_line_magic("ygpt", "connect local")
        magics = ipython.magics_manager.registry["YGptMagics"]
        server = magics.kernel.connection._server
        assert server is not None and server.running
        result = cell(ipython, "%%ygpt --once\nErors wont corrct themselfs")
        assert "Errors will not correct themselves." in result.final
    finally:
        manager.unload_extension("ygpt_magic")
    assert not server.running
