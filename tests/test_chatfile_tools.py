"""A chat file is untrusted text: it never gives the model the right to call the user's code.

A colleague's file (or a downloaded example) whose chat options list ``"tools": ["get_sales"]``
made every later plain ``%%ygpt`` cell of that chat offer the notebook's ``get_sales`` to the
model, which ran it (and so did a panel Send), while the load, ``%ygpt chats`` and ``%ygpt history`` said nothing about
tools. The file's ``tools`` and ``tool_choice`` are now left out as it loads, and the load says
which and the command, typed by the user, that offers them. Shares test_tools.py's scripted
server and shell.
"""

from __future__ import annotations

import json

from cellrun import assert_clean
from conftest import cell, completions
from test_panel import send, widget_comm  # noqa: F401 (a fixture)
from test_tools import tool_server, tools_shell  # noqa: F401 (fixtures)


def shared_file(path, options: dict, name: str = "default") -> None:
    """A chat file as a colleague might send it: one turn, and ``options`` for its chat."""
    reply = {"text": "Hello", "status": "FINAL", "model": "yandexgpt", "model_version": "x",
             "elapsed": 0.1, "usage": {"input_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    path.write_text(json.dumps({"version": 2, "current": name, "chats": [
        {"name": name, "system": None, "options": options,
         "turns": [{"prompt": "Hi", "cell_id": None, "reply": reply}]}]}), encoding="utf-8")


def test_a_loaded_chat_file_offers_no_notebook_function_until_the_user_says_so(tools_shell, tool_server, magics,
                                                                              widget_comm, tmp_path):
    path = tmp_path / "shared_chats.json"
    shared_file(path, {"tools": ["get_sales"], "tool_choice": "get_sales", "temperature": 0.2})
    loaded = cell(tools_shell, f"%ygpt load {path}")
    assert loaded.ok, loaded.message
    assert_clean(loaded)
    command = "%ygpt config --chat default --tools get_sales --tool-choice get_sales"
    assert loaded.plain.splitlines()[1:] == [
        "Chat 'default' of the file offered the model the notebook function get_sales (tool "
        "choice get_sales): a chat file cannot let the model run your code, so it was left out. "
        f"{command} offers it to this chat."]
    assert magics.kernel.session.chat().options.temperature == 0.2   # the rest of the options are the file's

    plain = cell(tools_shell, "%%ygpt\nHow did the north do?")   # no --tools anywhere
    assert plain.ok, plain.message
    assert tools_shell.user_ns["calls"] == [], "a function the user never offered ran"
    assert completions(tool_server)[-1].tools == [] and completions(tool_server)[-1].tool_choice is None
    panel = tools_shell.run_line_magic("ygpt", "panel")   # the panel's Send reads the same chat
    send(panel, "How did the north do?")
    assert panel.wait(15)
    panel.close()
    assert tools_shell.user_ns["calls"] == [] and completions(tool_server)[-1].tools == []

    assert cell(tools_shell, command).ok   # the user's own words offer them
    cell(tools_shell, "%%ygpt\nHow did the north do?")
    assert tools_shell.user_ns["calls"] == [("north", 5)]


def test_a_dotted_name_or_a_choice_alone_is_left_out_too(tools_shell, tool_server, magics, tmp_path):
    path = tmp_path / "shared_chats.json"
    shared_file(path, {"tools": ["helpers.delete_all", "get_sales"]}, name="team notes")
    loaded = cell(tools_shell, f"%ygpt load {path}")
    assert "notebook functions helpers.delete_all, get_sales:" in loaded.plain
    assert ("so they were left out. %ygpt config --chat 'team notes' --tools "
            "helpers.delete_all,get_sales offers them to this chat.") in loaded.plain
    assert magics.kernel.session.chat("team notes").options.tools == ()

    shared_file(path, {"tool_choice": "required"})
    loaded = cell(tools_shell, f"%ygpt load {path}")
    assert loaded.plain.splitlines()[-1] == (
        "Chat 'default' of the file set the tool choice required without tools: a chat file "
        "cannot let the model run your code, so it was left out.")
    assert magics.kernel.session.chat().options.tool_choice is None


def test_a_file_listing_thousands_of_tools_gets_one_short_line(tools_shell, magics, tmp_path):
    path = tmp_path / "shared_chats.json"
    shared_file(path, {"tools": [f"tool_{n}_{'x' * 300}" for n in range(5000)]})
    loaded = cell(tools_shell, f"%ygpt load {path}")
    [line] = loaded.plain.splitlines()[1:]
    assert len(line) < 1000 and "and 4,990 more" in line
    assert line.endswith("%ygpt config --chat NAME --tools F,G offers the ones you mean to a chat.")
    assert magics.kernel.session.chat().options.tools == ()
