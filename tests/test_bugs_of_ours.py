"""A bug of ours (an exception our own code raises) while a cell, a --map row, %ygpt fix or the
panel sends: one paragraph that says it is ours, never blamed on the server, the key masked and the
chat unchanged. Split from test_magics_errors.py, whose helpers it imports."""

from __future__ import annotations

import pytest
from conftest import TEST_KEY, cell
from test_magics_errors import assert_clear, chat_state
from test_panel import sent_from_panel, widget_comm  # noqa: F401 (widget_comm: a fixture)


def _a_bug(*_args, **_kwargs):
    """Stands for a bug of ours: an exception our own code raises, naming the key it holds."""
    raise KeyError(f"text of {TEST_KEY}")


@pytest.mark.parametrize("flags", ["", "--no-stream", "--deferred"])
def test_a_bug_of_ours_while_sending_is_not_blamed_on_the_server(shell, ygpt_server, magics, monkeypatch, flags):
    """Streamed, once or deferred: each request method's errors pass the same boundary."""
    from ygpt_magic.client import sdk
    from ygpt_magic.errors import InternalError

    before = chat_state(magics)
    monkeypatch.setattr(sdk, "sdk_messages", _a_bug)
    result = cell(shell, f"%%ygpt {flags}\nHello")
    assert_clear(result, InternalError, "error in ygpt_magic", "KeyError: 'text of ***'", "report it")
    assert "server's side" not in result.message and "status page" not in result.message
    assert chat_state(magics) == before


def test_a_bug_of_ours_while_sending_a_map_row_is_not_blamed_on_the_server(shell, ygpt_server, monkeypatch):
    """--map rows go out through the client's concurrent job, a request method of its own: a
    bug there fails each row as ours, never as the server's."""
    import pandas as pd

    from ygpt_magic.client import many_requests

    monkeypatch.setitem(shell.user_ns, "cities", pd.DataFrame({"city": ["Paris", "Rome"]}))
    monkeypatch.setattr(many_requests, "sdk_messages", _a_bug)  # where --map rows are built
    result = cell(shell, "%%ygpt --map cities\nDescribe {city}")
    errors_ = shell.user_ns["_ygpt"].errors
    assert list(errors_) == [0, 1], result.shown
    for message in errors_.values():
        assert "error in ygpt_magic" in message and "KeyError: 'text of ***'" in message, message
        assert "server's side" not in message and "status page" not in message
    assert TEST_KEY not in result.shown + repr(errors_)


def test_a_bug_of_ours_while_fix_sends_is_not_blamed_on_the_server(shell, ygpt_server, magics, monkeypatch):
    from ygpt_magic.client import sdk
    from ygpt_magic.errors import InternalError

    cell(shell, "1 / 0")
    before = chat_state(magics)
    monkeypatch.setattr(sdk, "sdk_messages", _a_bug)
    result = cell(shell, "%ygpt fix")
    assert_clear(result, InternalError, "error in ygpt_magic", "KeyError: 'text of ***'", "report it")
    assert chat_state(magics) == before


@pytest.mark.usefixtures("widget_comm")
def test_a_bug_of_ours_while_the_panel_sends_is_not_blamed_on_the_server(shell, ygpt_server, magics, monkeypatch):
    """The panel's thread sends through the same boundary: its one-line error says ours."""
    from ygpt_magic.client import sdk

    before = chat_state(magics)
    monkeypatch.setattr(sdk, "sdk_messages", _a_bug)
    status = sent_from_panel(shell, "default", "Hello")
    assert "error in ygpt_magic" in status and "KeyError" in status and TEST_KEY not in status, status
    assert "server's side" not in status and "status page" not in status
    assert chat_state(magics) == before


def test_a_bug_of_ours_around_the_request_is_one_paragraph_not_a_traceback(shell, ygpt_server, magics, monkeypatch):
    from ygpt_magic import exchange
    from ygpt_magic.errors import InternalError

    before = chat_state(magics)
    monkeypatch.setattr(exchange, "_reply", _a_bug)
    result = cell(shell, "%%ygpt\nHello")
    assert_clear(result, InternalError, "error in ygpt_magic", "KeyError", "report it")
    assert chat_state(magics) == before
