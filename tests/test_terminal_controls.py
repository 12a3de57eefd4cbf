"""What a terminal is sent by plain IPython in a terminal: untrusted text is shown, never obeyed.

A reply, a tool result, a value in ``--dry-run`` or ``%ygpt history`` may hold the control
sequences a terminal acts on (clear the screen, set the window title, overprint a line). The
terminal is the real ``ipython`` in a pseudo-terminal (test_terminal.py); the test reads the raw
bytes it was sent, so a sequence that reached it is seen even where the screen would hide it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cell
from IPython.utils.capture import capture_output
from test_terminal import Terminal, loaded_ipython, screen, user_env

from ygpt_magic.emulator import LocalServer, start_local_server

PARAGRAPHS = ("First paragraph of the answer, long enough to take a few chunks.\n\n"
              "Second paragraph, which the first attempt left unfinished.\n\nThird paragraph, the end.")
#: what a hostile page or model may hold: set the title, clear the screen, a C1 CSI, write the clipboard
ESCAPES = "\x1b]0;PWNED-TITLE\x07\x1b[2J\x9b31m\x1b]52;c;cHduZWQ=\x07"
REPLIES = {"replies": [
    {"user": "give esc", "reply": "Danger \x1b[2J\x1b[H and title \x1b]0;pwned\x07 done"},
    {"user": "give cr", "reply": "The secret plan\rNothing here"},
    {"user": "give paragraphs", "reply": PARAGRAPHS},
    {"user": "read the page", "after_tools": "Summary done.", "tool_calls": [
        {"name": "fetch_page", "arguments": {"url": "http://example.com/\x9b2J"}},
        {"name": "x" + ESCAPES, "arguments": {}}]},   # a tool the model made up
]}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LocalServer]:
    """A local server that gives the replies above (one for the module: a pty test is slow)."""
    script = tmp_path_factory.mktemp("script") / "replies.json"
    script.write_text(json.dumps(REPLIES), encoding="utf-8")
    with start_local_server(scripts=[script]) as started:
        yield started


def ipython_env(server: LocalServer, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's ``ipython`` connected to ``server`` (test_terminal_commands.py
    takes it)."""
    return user_env(server.address, folder, **extra)


@pytest.fixture(scope="module")
def terminal(server, tmp_path_factory) -> Iterator[Terminal]:
    """``ipython`` in a pseudo-terminal with the extension loaded, for the whole module."""
    with loaded_ipython(user_env(server.address, tmp_path_factory.mktemp("ipython"))) as shell:
        yield shell


@pytest.fixture
def typed(terminal, server) -> Terminal:
    """The module's terminal, :meth:`~test_terminal.Terminal.fresh`, with the server's faults and
    request log cleared."""
    terminal.fresh()
    server.reset()
    return terminal


def printed(pieces: list[tuple[float, str]]) -> str:
    return "".join(piece for _, piece in pieces)


@pytest.mark.slow
def test_a_reply_cannot_clear_the_screen_or_set_the_window_title(typed):
    pieces = typed.run("%%ygpt --once", "give esc")
    assert "\x1b[2J" not in printed(pieces) and "\x1b]0;" not in printed(pieces)
    assert "Danger ␛[2J␛[H and title ␛]0;pwned␇ done" in screen(pieces)


@pytest.mark.slow
def test_a_reply_cannot_hide_its_own_text_with_a_carriage_return(typed):
    pieces = typed.run("%%ygpt --once", "give cr")
    assert "The secret plan␍Nothing here" in screen(pieces)
    assert "plan\rNothing" not in printed(pieces)


def test_a_tool_result_cannot_clear_the_screen(typed):
    typed.run("def get_page(url: str) -> str: return 'page text \\x1b[2J\\x1b[H hidden'")
    pieces = typed.run("%%ygpt --once --tools get_page", "Use get_page to fetch the page")
    assert "🔧 get_page(" in screen(pieces) and "page text ␛[2J␛[H hidden" in screen(pieces)
    assert "\x1b[2J" not in printed(pieces)


def test_dry_run_and_history_show_a_values_escapes_without_obeying_them(typed):
    typed.run('log = "\\x1b[31mERROR\\x1b[0m disk full\\x1b]0;pwned\\x07"')
    dry = typed.run("%%ygpt --dry-run", "Explain {log}")
    typed.run("%%ygpt", "Explain {log}")
    history = typed.run("%ygpt history")
    for pieces in (dry, history):
        assert "\x1b]0;pwned" not in printed(pieces) and "\x1b[31m" not in printed(pieces)
        assert "Explain ␛[31mERROR␛[0m disk full␛]0;pwned␇" in screen(pieces)


def test_a_tool_calls_plain_form_shows_the_models_and_the_results_escapes_without_obeying_them(
        shell, server, fresh_names):
    """jupyter console and papermill --log-output print each display's text/plain as it is: a
    tool's result (a web page) and a tool name the model made up hold escapes, shown as pictures
    in the call's line, its arguments and its result, as the IPython terminal shows them."""
    shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
    shell.run_cell(f"def fetch_page(url: str) -> str:\n    'A web page as text'\n    return 'page text ' + {ESCAPES!r}")
    with capture_output() as captured:
        shell.run_cell("%%ygpt --once --tools fetch_page\nread the page")
    plain = "\n".join(output.data.get("text/plain", "") for output in captured.outputs)
    assert "Summary done." in plain and "🔧 fetch_page(url=" in plain, plain
    assert not {"\x1b", "\x07", "\x9b"} & set(plain), repr(plain)
    assert 'fetch_page(url="http://example.com/␛[2J") → page text ␛]0;PWNED-TITLE␇␛[2J␛[31m' in plain, plain
    assert "result:\n        page text ␛]0;PWNED-TITLE␇␛[2J␛[31m␛]52;c;cHduZWQ=␇" in plain, plain
    assert "🔧 x␛]0;PWNED-TITLE␇␛[2J␛[31m␛]52;c;cHduZWQ=␇() → error:" in plain, plain


@pytest.mark.slow
def test_an_error_quoting_the_server_shows_its_escapes_without_obeying_them(shell):
    """IPython prints the message to the terminal as it is: the server's words quote the model
    asked for, escapes and all."""
    result = cell(shell, "%%ygpt --once --model 'yandexgpt-evil\x1b]0;pwned\x07'\nhi")
    assert "\x1b" not in result.message and "\x07" not in result.message
    assert "The model 'yandexgpt-evil␛]0;pwned␇' was not found" in result.message


@pytest.mark.slow
def test_a_dumb_terminal_gets_no_cursor_control_and_no_waiting_line_it_cannot_erase(server, tmp_path):
    """An ``ipython`` of its own: TERM is what the terminal says at the start."""
    server.reset()
    server.faults.first_chunk_latency(1.0)   # past the wait before the waiting line would show
    with loaded_ipython(user_env(server.address, tmp_path, TERM="dumb")) as shell:
        pieces = shell.run("%%ygpt --once", "give paragraphs")
    assert "\x1b" not in printed(pieces) and "⏳" not in printed(pieces), repr(printed(pieces)[:400])
    assert "Third paragraph, the end." in screen(pieces)


@pytest.mark.slow
def test_a_script_piped_to_a_file_holds_the_reply_not_the_waiting_line(server, tmp_path):
    """A process of its own: its stdout is a pipe, as a shell's redirect makes it."""
    server.reset()
    server.faults.first_chunk_latency(1.0)
    script = tmp_path / "ask.ipy"
    script.write_text("%%ygpt --once\ngive paragraphs\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "IPython", "--ext", "ygpt_magic", str(script)],
                            env=user_env(server.address, tmp_path), capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.stdout.startswith(PARAGRAPHS + "\n\nyandexgpt · local server · scripted"), result.stdout[:300]
