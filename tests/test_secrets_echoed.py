"""A server that echoes the kernel's own key in a reply: the key is shown masked, and kept nowhere.

A gateway in debug mode, or a colleague's mock, answers "you are authorized as Api-Key AQVN…",
or reports the key in its model version. The kernel knows its own key, so every answer is taken
in with it masked (``AQVN…x9Qz``, as ``%ygpt whoami`` shows it), replayed or sent, before it is
shown, kept in the reply cache, recorded in the chat, put in ``_ygpt``, the panel or the output's
provenance (exchange._Requests.taken). Before, all of them held the key in full: the saved
notebook, the replies.sqlite the guide says to commit and the panel's widget state, while
``%ygpt save`` and the errors masked it. Through the real shell, the unmodified SDK and a local
server scripted to echo the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cellrun import LOST_EXCEPTIONS, CellRun, run
from conftest import TEST_KEY, completions
from IPython.utils.capture import capture_output
from test_panel import sent_from_panel

from ygpt_magic.emulator import LocalServer, start_local_server
from ygpt_magic.emulator import stream as emulator_stream

pytestmark = [*LOST_EXCEPTIONS]

#: the test key as whoami shows it (conftest.TEST_KEY)
MASKED = "AQVN…x9Qz"
ECHO = f"[debug] you are authorized as Api-Key {TEST_KEY}. Hello!"
#: long enough to stream in many chunks, the key in the middle of them
LONG_ECHO = ("Here is every header of your request, one by one, as the gateway received it. "
             f"authorization: Api-Key {TEST_KEY} and then the rest of the headers follow here.")


@pytest.fixture
def echoing(shell, tmp_path) -> Iterator[LocalServer]:
    """The shell connected to a server of its own that echoes the key to "hi" and "headers"."""
    script = tmp_path / "echo.json"
    script.write_text(json.dumps({"replies": [{"user": "hi", "reply": ECHO},
                                              {"user": "headers", "reply": LONG_ECHO}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        yield server


def shown_with_metadata(shell, source: str) -> tuple[str, str]:
    """Every output of ``source`` (each mimetype, the streams) and their metadata, as text."""
    with capture_output() as captured:
        shell.run_cell(source, store_history=True)
    shown = [captured.stdout, captured.stderr, *(str(value) for o in captured.outputs for value in o.data.values())]
    return "\n".join(shown), json.dumps([o.metadata for o in captured.outputs], ensure_ascii=False)


def test_a_reply_echoing_the_key_is_shown_cached_and_recorded_masked(shell, echoing, tmp_path):
    cache = tmp_path / "replies.sqlite"
    assert run(shell, f"%ygpt cache {cache}").ok
    shown, metadata = shown_with_metadata(shell, "%%ygpt\nhi")
    assert f"you are authorized as Api-Key {MASKED}. Hello!" in shown, shown
    assert TEST_KEY not in shown + metadata
    assert shell.user_ns["_ygpt"].text == f"[debug] you are authorized as Api-Key {MASKED}. Hello!"
    assert TEST_KEY.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("replies.sqlite*"))

    follow_up = run(shell, "%%ygpt\nthanks")
    assert follow_up.ok, follow_up.message   # the chat goes on: what it sends back is masked
    assert MASKED in completions(echoing)[-1].messages[1]["text"]
    assert TEST_KEY not in repr(echoing.requests[-1:])

    replayed = run(shell, "%%ygpt --once\nhi")
    assert replayed.ok and MASKED in replayed.final and TEST_KEY not in replayed.shown
    assert TEST_KEY not in run(shell, "%ygpt history").shown


def test_a_panel_send_echoing_the_key_leaves_it_out_of_the_widget_state(shell, echoing):
    from test_secrets import widget_states

    sent_from_panel(shell, "debug", "hi")
    panel = run(shell, "%ygpt panel --chat debug")
    states = "\n".join(widget_states())   # JSON escapes the ellipsis
    assert json.dumps(MASKED)[1:-1] in states and TEST_KEY not in states
    assert panel.ok and TEST_KEY not in panel.shown


def test_a_model_version_holding_the_key_is_masked_in_the_footer_and_provenance(shell, echoing, monkeypatch):
    monkeypatch.setattr(emulator_stream, "served_by", lambda generation: f"proxy-debug auth=Api-Key {TEST_KEY}")
    shown, metadata = shown_with_metadata(shell, "%%ygpt --once\nhi")
    assert f"proxy-debug auth=Api-Key {MASKED}" in shown, shown
    assert MASKED in metadata and TEST_KEY not in shown + metadata
    assert shell.user_ns["_ygpt"].model_version == f"proxy-debug auth=Api-Key {MASKED}"
    provenance = run(shell, "%ygpt provenance")
    assert MASKED in provenance.shown and TEST_KEY not in provenance.shown


def updates_shown(cell: CellRun) -> list[str]:
    """Every state of every display the cell drew, updates included (each mimetype)."""
    return [str(value) for output in cell.outputs for value in output["data"].values()]


def test_a_key_split_between_streamed_chunks_never_shows_in_part(shell, echoing):
    """Each chunk holds the text so far: one ending in the first half of the key is drawn
    without it, so no update shows a part of the key, and the whole key arrives masked. The
    chunks come 40 ms apart, so a busy machine's slower renders (spaced to take at most a fifth
    of the time, render/pacing.py) still draw most of them."""
    echoing.faults.latency(0.04)
    shell.run_line_magic("config", "YGptMagics.render_interval = 0.001")
    streamed = run(shell, "%%ygpt --once\nheaders")
    assert streamed.ok, streamed.message
    assert streamed.updates > 10, "drawn chunk by chunk"
    assert not [shown for shown in updates_shown(streamed) if TEST_KEY[:6] in shown]
    assert f"authorization: Api-Key {MASKED} and then" in streamed.final


def test_a_stream_cut_off_inside_the_key_keeps_no_part_of_it_on_screen(shell, echoing):
    """The text kept on screen (and saved in the notebook) of a stream that broke off after a
    chunk ending inside the key: the partial text up to it, no part of the key. (The local
    server's 7th chunk of LONG_ECHO ends 21 characters into the key.)"""
    echoing.faults.break_stream_after(7, "INTERNAL", times=3)   # every attempt the SDK makes
    cut = run(shell, "%%ygpt --once\nheaders")
    assert "broke off after 7 chunks" in cut.message
    assert "as the gateway received it. authorization: Api-Key\n⚠ stopped" in cut.final, cut.final
    assert not [length for length in range(4, len(TEST_KEY)) if TEST_KEY[:length] in cut.shown], cut.shown
