"""The panel's Stop while a notebook function called as a tool is running: the exchange ends at
once, the chat is free and unchanged, and the call is marked abandoned; through a real shell, the
panel's widgets over a dummy comm, the unmodified SDK and the local server. And a tool that is
no plain function (a partial, a callable object) runs from the panel as it does in a cell."""

from __future__ import annotations

import json
import threading
import time

import pytest
from test_panel import bubbles, send, until, widget_comm  # noqa: F401 (a fixture)

from ygpt_magic.emulator import start_local_server

SCRIPT = {"replies": [{"user": "Wait forever", "tool_calls": [{"name": "hang", "arguments": {}}]},
                      {"user": "Add one", "tool_calls": [{"name": "add_two", "arguments": {"x": 1.0}}],
                       "after_tools": "It is {result}."},
                      {"user": "Count one", "tool_calls": [{"name": "counter", "arguments": {"x": 1.0}}],
                       "after_tools": "It is {result}."}]}

FUNCTIONS = '''
import threading
release, ran = threading.Event(), []
def hang() -> str:
    """Waits until the test lets it go (a function that never returns, for the user)."""
    ran.append("started")
    release.wait(30)
    ran.append("returned")
    return "late"
'''


@pytest.fixture
def hang_shell(shell, tmp_path):
    script = tmp_path / "tools.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    with start_local_server(scripts=[script], operation_delay=0.0) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        shell.run_cell(FUNCTIONS)
        yield shell
        shell.user_ns["release"].set()


def test_stop_ends_a_panel_send_at_once_while_its_tool_runs_and_marks_the_call_abandoned(hang_shell, magics):

    hang_shell.run_line_magic("ygpt", "config --tools hang")
    panel = hang_shell.run_line_magic("ygpt", "panel")
    ran = hang_shell.user_ns["ran"]
    send(panel, "Wait forever")
    until(lambda: ran == ["started"])
    assert not panel.stop_button.disabled
    pressed = time.monotonic()
    panel.stop_button.click()
    assert panel.wait(2), "the Send still waits for the function"
    assert time.monotonic() - pressed < 1
    assert not magics.kernel.session.is_busy("default") and magics.kernel.session.chat().turns == []
    assert not panel.send_button.disabled
    shown = bubbles(panel)[1][1]
    assert "🔧 hang() → abandoned" in shown and "interrupted" in shown

    hang_shell.user_ns["release"].set()      # the function returns later: its result is dropped
    until(lambda: ran == ["started", "returned"])
    time.sleep(0.1)
    assert magics.kernel.session.chat().turns == [] and panel.status.value == ""
    assert not [t for t in threading.enumerate() if t.name.startswith("ygpt-tool")]
    panel.close()


@pytest.mark.parametrize(("define", "name", "prompt"), [
    ("import functools\ndef add(x: int, y: int) -> int:\n    '''Add two numbers.'''\n    return x + y\n"
     "add_two = functools.partial(add, y=2)", "add_two", "Add one"),
    ("class Counter:\n    '''Counts from two.'''\n    def __call__(self, x: int) -> int:\n        return x + 2\n"
     "counter = Counter()", "counter", "Count one"),
])
def test_a_partial_or_callable_object_tool_runs_from_the_panel(hang_shell, define, name, prompt):
    assert hang_shell.run_cell(define).success
    hang_shell.run_line_magic("ygpt", f"config --tools {name}")
    panel = hang_shell.run_line_magic("ygpt", "panel")
    send(panel, prompt)
    assert panel.wait(5)
    shown = bubbles(panel)[1][1]
    assert f"🔧 {name}(x=1.0) → 3" in shown and "It is 3." in shown, shown   # was: AttributeError: __name__
    panel.close()
