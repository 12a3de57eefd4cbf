"""No door lets a credential out: every way a request is made passes the same guard.

The guard sits where requests are made (client/guard.py, called by every request method of the
client and by the reply cache before a lookup), so a door cannot skip it. Each row below is one
door, tried with a canary API key and a canary IAM token from the environment: the request is
refused with one paragraph naming the piece that carried it, the server receives nothing that
carries it (counted on the server), and the secret is shown nowhere.
"""

from __future__ import annotations

import html
import json

import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell
from test_map_batch import BATCH_MODEL
from test_panel import saved_text, send, widget_comm  # noqa: F401 (widget_comm: a fixture)

from ygpt_magic import errors
from ygpt_magic.panel.keys import SUBMIT_MARK

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

CANARIES = {"YC_API_KEY": "AQVNcanaryDoor-6b2e9f0c8d13a7-LEAKCHECK-p4Ls",
            "YC_IAM_TOKEN": "t1.canaryDoorIam.1a7c3e5b9d0f82.LEAKCHECK.Hn6v"}
FRAGMENTS = ("6b2e9f0c8d13a7", "1a7c3e5b9d0f82", "LEAKCHECK")


@pytest.fixture(params=list(CANARIES))
def canary(request, shell, clean_env) -> str:
    """The credential in use for this row: set the way a Yandex Cloud user's shell has it."""
    clean_env.setenv(request.param, CANARIES[request.param])
    shell.user_ns["secret"] = CANARIES[request.param]
    return CANARIES[request.param]


def carried(server) -> list[str]:
    """The canary fragments in anything the server received (empty: nothing carried one)."""
    return [fragment for fragment in FRAGMENTS if fragment in repr(list(server.requests))]


def assert_refused(result, server, *keywords: str) -> None:
    assert_clear_error(result, "nothing was sent", *keywords, error_type=errors.CredentialInPrompt)
    assert not carried(server)
    assert not [fragment for fragment in FRAGMENTS if fragment in result.shown]


def test_the_cell_text(shell, ygpt_server, canary):
    assert_refused(cell(shell, f"%%ygpt --once --no-interpolate\nUse {canary} please"),
                   ygpt_server, "the cell's text")


@pytest.mark.slow
def test_fix_of_a_cell_that_printed_the_key(shell, ygpt_server, canary):
    cell(shell, "raise ValueError('bad key ' + secret)")
    assert_refused(cell(shell, "%ygpt fix"), ygpt_server)


@pytest.mark.parametrize("mode", ["", "--no-stream", "--deferred"])
def test_a_tool_parameters_default(shell, ygpt_server, canary, mode):
    """Only the transport's guard reads a declaration: streamed, once or deferred, each request
    method refuses it."""
    cell(shell, "import os\n"
                "def search(query: str, key: str = secret) -> str:\n"
                "    '''Search the web.'''\n"
                "    return 'nothing'")
    assert_refused(cell(shell, f"%%ygpt --once {mode} --tools search\nSearch the web for cats"),
                   ygpt_server, "the declaration of tool 'search'")
    assert_refused(cell(shell, "%%ygpt --once --dry-run --tools search\nSearch the web for cats"),
                   ygpt_server, "the declaration of tool 'search'")
    assert ygpt_server.requests == []


def test_a_schema_dict(shell, ygpt_server, canary):
    shell.user_ns["Card"] = {"type": "object",
                             "properties": {"token": {"type": "string", "default": canary}}}
    assert_refused(cell(shell, "%%ygpt --once --schema Card\nFill the card"), ygpt_server,
                   "the --schema response format")


def test_a_tool_result(shell, ygpt_server, canary):
    cell(shell, "def get_sales(region: str) -> str:\n    '''Sales of a region.'''\n    return secret")
    assert_refused(cell(shell, "%%ygpt --once --tools get_sales\nGet the sales of the north"),
                   ygpt_server, "the result of get_sales")


def test_history_loaded_from_a_chat_file(shell, ygpt_server, canary, tmp_path):
    assert cell(shell, "%%ygpt --chat notes\nRemember PLACEHOLDER").ok
    path = tmp_path / "chat.json"
    shell.run_line_magic("ygpt", f"save {path}")
    path.write_text(path.read_text(encoding="utf-8").replace("PLACEHOLDER", canary), encoding="utf-8")
    shell.run_line_magic("ygpt", f"load {path}")
    ygpt_server.reset()
    assert_refused(cell(shell, "%%ygpt --chat notes\nWhat did I ask you to remember?"),
                   ygpt_server, "an earlier user message of the chat")
    assert ygpt_server.requests == []


@pytest.mark.parametrize("batch", [False, True], ids=["--map", "--batch"])
def test_map_and_batch_rows(shell, ygpt_server, canary, batch):
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    shell.user_ns["notes"] = pd.DataFrame({"note": ["fine weather", f"my key is {canary}"]})
    flags = f"--batch --model {BATCH_MODEL}" if batch else ""
    result = cell(shell, f"%%ygpt --map notes {flags}\nSummarise: {{note}}")
    assert not carried(ygpt_server), "a row carried the key to the server"
    assert not [fragment for fragment in FRAGMENTS if fragment in result.shown]
    assert "1 answered" in result.shown and "1 failed (1 credential in prompt)" in result.shown, result.shown
    errors_ = shell.user_ns["_ygpt"].errors
    assert list(errors_) == [1], "the row with the key fails alone; the other is sent and answered"
    assert "Nothing was sent: {note} contains your" in errors_[1], "named by the reference, like a cell"
    assert "fine weather" in repr(list(ygpt_server.requests))


@pytest.mark.parametrize("batch", [False, True], ids=["--map", "--batch"])
def test_a_schema_dict_on_map_and_batch_rows(shell, ygpt_server, canary, batch):
    """The schema rides on every row's request and only the transport's guard reads it: no row
    (and no batch job) goes out with it."""
    shell.user_ns["Card"] = {"type": "object",
                             "properties": {"token": {"type": "string", "default": canary}}}
    shell.user_ns["notes"] = pd.DataFrame({"note": ["fine weather", "rain"]})
    flags = f"--batch --model {BATCH_MODEL}" if batch else ""
    result = cell(shell, f"%%ygpt --map notes --schema Card {flags}\nSummarise: {{note}}")
    assert ygpt_server.requests == [] and not carried(ygpt_server)
    assert not [fragment for fragment in FRAGMENTS if fragment in result.shown]
    said = result.shown + " ".join(getattr(shell.user_ns.get("_ygpt"), "errors", {}).values())
    assert "Nothing was sent: the --schema response format contains your" in said, said


@pytest.mark.usefixtures("widget_comm")
def test_the_panels_input_and_system_box(shell, ygpt_server, canary, magics):
    panel = shell.run_line_magic("ygpt", "panel")
    try:
        send(panel, f"My key is {canary}")
        assert panel.wait(15)
        assert not carried(ygpt_server) and magics.kernel.session.chat().turns == []
        status = html.unescape(panel.status.value)
        assert "Nothing was sent" in status and "the panel's message" in status
        assert panel.input.value == f"My key is {canary}", "the text is given back to edit"

        panel.controls.system.value = f"Always sign with {canary}"
        assert magics.kernel.session.chat().system is None, "the chat never holds it"
        assert "the system message" in panel.status.value
        assert not [f for f in FRAGMENTS if f in panel.status.value + json.dumps(str(magics.kernel.session.chat()))]
    finally:
        panel.close()


@pytest.mark.usefixtures("widget_comm")
def test_the_panel_fills_in_references_like_a_cell_and_refuses_one_that_carries_a_key(
        shell, ygpt_server, canary, magics):
    shell.user_ns["greeting"] = "Bonjour tout le monde"
    shell.user_ns["settings"] = {"key": canary}
    panel = shell.run_line_magic("ygpt", "panel")
    try:
        send(panel, "Translate {greeting}")
        assert panel.wait(15)
        assert ygpt_server.requests[-1].messages[-1]["text"] == "Translate Bonjour tout le monde"
        assert magics.kernel.session.chat().turns[-1].prompt == "Translate Bonjour tout le monde"
        ygpt_server.reset()
        send(panel, "Check {settings}")
        assert panel.wait(15)
        assert ygpt_server.requests == [] and "{settings}" in panel.status.value
        assert not [f for f in FRAGMENTS if f in panel.status.value]
    finally:
        panel.close()


#: every place a chat name is given (the panel's "new chat…" box is the test below)
NAMED = ["%%ygpt --chat {key}\nhello", "%%ygpt --map words --chat {key}\nSpell {{item}}",
         "%ygpt chat {key}", "%ygpt config --chat {key} --temperature 0.5", "%ygpt reset --chat {key}",
         "%ygpt history --chat {key}", "%ygpt export chat.md --chat {key}", "%ygpt panel --chat {key}",
         "%ygpt chats --delete {key}", "%ygpt chats --rename default {key}", "%ygpt chats --rename {key} x"]


def assert_name_refused(shown: str, magics, server) -> None:
    """The key named no chat and went nowhere: not to the server, not into what is shown."""
    assert list(magics.kernel.session.chats) == ["default"]
    assert not carried(server) and not [f for f in FRAGMENTS if f in shown], shown


@pytest.mark.usefixtures("widget_comm")
@pytest.mark.parametrize("line", NAMED)
def test_a_key_given_as_a_chat_name_is_refused(shell, ygpt_server, canary, magics, line):
    shell.user_ns["words"] = ["one"]
    result = cell(shell, line.format(key=canary))
    assert_clear_error(result, "the chat name contains your", "(from YC_", "name the chat something else",
                       error_type=errors.CredentialInName)
    assert_name_refused(result.shown + cell(shell, "%ygpt usage").shown, magics, ygpt_server)


@pytest.mark.usefixtures("widget_comm")
def test_a_key_typed_into_the_panels_new_chat_box_is_refused(shell, ygpt_server, canary, magics):
    assert cell(shell, "%ygpt panel").ok
    panel = shell.user_ns["Out"][max(shell.user_ns["Out"])]
    try:
        panel.controls.new_chat.value = canary + SUBMIT_MARK   # typed, then Enter
        status = html.unescape(panel.status.value)
        assert "The chat name contains your" in status and panel.chat_name == "default"
        saved = saved_text(panel) + saved_text(panel, "text/html")  # what the notebook keeps beside the widget
        assert_name_refused(status + saved, magics, ygpt_server)
    finally:
        panel.close()


DOORS = {
    "cell": "%%ygpt --once\nTell me about {topic}",
    "fix": "%ygpt fix and mention {topic}",
    "--map row": "%%ygpt --map notes\nSummarise {note} about {topic}",
    "--batch row": "%%ygpt --map notes --batch --model gemma-3-12b-it\nSummarise {note} about {topic}",
    "tool round": "%%ygpt --once --tools get_sales\nGet the sales of the north for {topic}",
}


@pytest.mark.parametrize("door", list(DOORS))
def test_every_door_fills_in_a_reference_by_the_cells_rule(shell, ygpt_server, door):
    """The same interpolation for every door (the panel's is the test above): what the server
    receives carries the value, never the braces; counted on the server."""
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    shell.user_ns.update(topic="sea otters", notes=pd.DataFrame({"note": ["kelp forests"]}))
    cell(shell, "def get_sales(region: str) -> str:\n    '''Sales of a region.'''\n    return '1204'")
    cell(shell, "raise ValueError('no otters')")
    ygpt_server.reset()
    result = cell(shell, DOORS[door])
    received = repr(list(ygpt_server.requests))
    assert result.ok, result.message
    assert "sea otters" in received and "{topic}" not in received, received[:500]
    if door == "tool round":
        assert len(ygpt_server.requests) >= 2, "the round after the call carries the filled-in text too"
