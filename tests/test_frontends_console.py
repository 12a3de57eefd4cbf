"""A frontend that ignores ``update_display_data`` (as the messaging spec allows) still sees
every reply and every ``--map`` summary: ``jupyter console``, ``papermill --log-output``.

jupyter_console 6.6 (``ptshell.py`` ``handle_iopub``) prints stream text and the ``text/plain``
of ``display_data`` and ``execute_result``; it has no case for ``update_display_data``. A streamed
reply used to start with an HTML-only display and arrive, footer and all, only in updates, so the
console printed nothing for it; a ``--map`` summary only replaced the bar's display, so the
console kept ``--map 2 rows:   0%|``. This drives a real ipykernel through jupyter_client against
the local server and keeps exactly what such a console prints.

The stories share one kernel (a start costs 2-3 CPU-s), each from a fresh extension
(test_terminal.FRESH) and reading only what its own cells sent: none is about a kernel's start.
"""

from __future__ import annotations

import os

import pytest
from conftest import TEST_FOLDER, TEST_KEY
from test_terminal import FRESH

pytestmark = pytest.mark.slow  # a fresh kernel: seconds


def _console_view(client, code: str) -> str:
    """What jupyter console prints for ``code``: stream text and display/execute_result
    ``text/plain``, updates ignored."""
    shown = []
    client.execute(code)
    while True:
        msg = client.get_iopub_msg(timeout=120)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return "\n".join(shown)
        if kind == "stream":
            shown.append(content["text"])
        elif kind in ("display_data", "execute_result") and "text/plain" in content["data"]:
            shown.append(content["data"]["text/plain"])


@pytest.fixture(scope="module")
def _kernel(_ygpt_server_session, tmp_path_factory):
    """A kernel with the extension loaded, connected to the session's local server (the one
    ``ygpt_server`` resets for each story)."""
    from jupyter_client.manager import start_new_kernel

    folder = tmp_path_factory.mktemp("console")
    env = {**os.environ, "YC_API_KEY": TEST_KEY, "YC_FOLDER_ID": TEST_FOLDER, "IPYTHONDIR": str(folder / "ipython"),
           "YGPT_ENDPOINT": _ygpt_server_session.address, "YGPT_INSECURE": "1"}
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(folder))
    try:
        _console_view(client, "%load_ext ygpt_magic")
        yield lambda code: _console_view(client, code)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture
def console(_kernel, ygpt_server):
    """The module's kernel as a console's, its extension fresh, retrying after 0.1 s; the
    story's server has no faults until the story sets them."""
    _kernel("\n".join(FRESH))
    _kernel("%config YGptMagics.retry_backoff = 0.1")
    return _kernel


def test_a_streamed_reply_and_a_map_summary_reach_a_console(console):
    """On the session's local server, as the stories below (its kernel once started its own with
    YGPT_ENDPOINT=local): what the console shows is the same reply from the same server."""
    reply = console("%%ygpt\nTranslate into English: Быть или не быть")
    assert "Вы спросили: «Translate into English" in reply, f"the console showed {reply!r} for the %%ygpt cell"
    assert "tokens" in reply and "local server" in reply, "the footer comes with the reply"
    assert reply.count("Вы спросили") == 1, reply

    console("items = ['Great phone', 'Broke after a week']")
    rows = console("%%ygpt --map items --out answers --once\nSentiment of: {item}")
    assert "✓ 2 answered" in rows, f"the --map cell showed only {rows!r}"
    assert "1 turn" in console("%ygpt history")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_console_keeps_no_waiting_retry_or_first_chunk_line_above_the_reply(console, ygpt_server, fmt):
    """A live display's first message is all such a console ever prints of it: with --format
    text or json it was the waiting line, the '↻ … trying again' line, a tool's '⏳ running' line
    or the first chunk's few words, left above the reply for good (markdown and code opened with
    HTML alone)."""
    ygpt_server.faults.fail_next(1, "UNAVAILABLE")
    refused = console(f"%%ygpt --format {fmt} --once\nTell me about cats")
    ygpt_server.faults.first_chunk_latency(1.0)   # past loop.SLOW_AFTER: the waiting line is drawn
    slow = console(f"%%ygpt --format {fmt} --once\nTell me about cats")
    ygpt_server.faults.clear()
    ygpt_server.faults.latency(0.02)
    ygpt_server.faults.break_stream_after(8, "UNAVAILABLE")
    broke = console(f"%%ygpt --format {fmt} --once\nTell me about cats")
    console("def get_sales(region: str) -> str:\n    return 'three sales, 240 units'")
    tools = console(f"%%ygpt --tools get_sales --format {fmt} --once\nHow did the north region do?")
    for shown in (refused, slow, broke):
        assert "trying again" not in shown and "⏳" not in shown, shown
        assert shown.count("You asked about") == 1 and "local server" in shown, shown
    assert "⏳ running" not in tools and tools.count("The north region had") == 1, tools
    assert "the request was retried once" in refused and "broke off and was retried once" in broke
