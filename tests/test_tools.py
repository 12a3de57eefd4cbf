"""%%ygpt --tools through a real shell, the unmodified SDK and the local server.

The server's scripted tool calls stand in for the model: it asks for a call (to a declared tool,
an undeclared one, or with arguments that do not fit), and each test asserts what ran in the
notebook, what the user sees and what the next request carried back (``requests[-1]``). How a
function is declared (async, postponed annotations, pydantic's reserved names, partials, refusals)
is in test_tool_declarations.py, which shares this module's server and shell.
"""

from __future__ import annotations

import json
import re

import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import TEST_KEY, cell, completions
from test_panel import bubbles, send, widget_comm  # noqa: F401 (a fixture)

from ygpt_magic.emulator import start_local_server
from ygpt_magic.errors import CredentialInPrompt, ToolError, ToolRoundsExceeded

SCRIPT = {"replies": [
    {"user": "How did the north do?",
     "tool_calls": [{"name": "get_sales", "arguments": {"region": "north", "limit": 5.0}}],
     "after_tools": "The north sold {get_sales} units."},
    {"user": "Compare north and south",
     "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}},
                    {"name": "get_sales", "arguments": {"region": "south"}}],
     "after_tools": "North and south: {result}."},
    {"user": "Sell me a boat", "tool_calls": [{"name": "buy_boat", "arguments": {"size": "huge"}}],
     "after_tools": "Could not: {result}"},
    {"user": "Top many sales", "tool_calls": [{"name": "get_sales", "arguments": {"region": "north", "limit": "many"}}],
     "after_tools": "Sorry: {result}"},
    {"user": "Fail please", "tool_calls": [{"name": "explode", "arguments": {}}],
     "after_tools": "It said: {result}"},
    {"user": "Fail oddly", "tool_calls": [{"name": "explode_oddly", "arguments": {}}],
     "after_tools": "It said: {result}"},
    {"user": "Wait forever", "tool_calls": [{"name": "hang", "arguments": {}}]},
    {"user": "Dump everything", "tool_calls": [{"name": "dump", "arguments": {}}],
     "after_tools": "Got it."},
    {"user": "North, without waiting",
     "tool_calls": [{"name": "get_sales_sync", "arguments": {"region": "north", "limit": 5.0}}],
     "after_tools": "The north sold {get_sales_sync} units."},
    {"user": "Row seven", "tool_calls": [{"name": "row", "arguments": {"_id": 7.0, "model_config": "fast"}}],
     "after_tools": "Row: {result}"},
    {"user": "Run the script", "tool_calls": [{"name": "run_script", "arguments": {}}],
     "after_tools": "It said: {result}"},
    {"user": "Keep looking", "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}}],
     "after_tools": {"tool_calls": [{"name": "get_sales", "arguments": {"region": "south"}}],
                     "after_tools": {"tool_calls": [{"name": "get_sales", "arguments": {"region": "east"}}],
                                     "after_tools": "Done."}}},
    {"user": "Tell me the sales numbers for the north region please",
     "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}}]},
    {"user": "Two more than north", "tool_calls": [{"name": "north_plus", "arguments": {"x": 1.0}}],
     "after_tools": "It is {result}."},
    {"user": "Show the key", "tool_calls": [{"name": "leak", "arguments": {}}], "after_tools": "ok"},
    {"user": "Units over 100", "tool_calls": [{"name": "units_between", "arguments": {"low": 100.0}}],
     "after_tools": "There are {result}."},
]}

FUNCTIONS = '''
calls = []
def get_sales(region: str, limit: int = 10) -> int:
    """Sales rows of one region."""
    calls.append((region, limit))
    return 1204 if region == "north" else 877
def explode() -> str:
    """Always fails."""
    raise ValueError("the sales database is offline")
class OddError(Exception):
    def __str__(self):
        raise RuntimeError("no text")
def explode_oddly() -> str:
    """Fails with an error whose text cannot be read."""
    raise OddError()
def hang() -> str:
    """Never returns; the user presses Ctrl-C (a real SIGINT) while it runs."""
    import os, signal, threading, time
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    time.sleep(30)
def dump() -> str:
    """A very large result."""
    return "x" * 50_000_000
'''


@pytest.fixture(scope="module")
def tool_server(tmp_path_factory):
    script = tmp_path_factory.mktemp("scripts") / "tools.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    with start_local_server(scripts=[script], operation_delay=0.0) as server:
        yield server


@pytest.fixture
def tools_shell(shell, tool_server):
    """The test shell connected to the scripted server, with the notebook's functions defined."""
    shell.run_line_magic("ygpt", f"connect {tool_server.address} --insecure")
    tool_server.reset()
    assert cell(shell, FUNCTIONS).ok
    return shell


def test_the_function_runs_with_the_models_arguments_and_its_result_goes_back(tools_shell, tool_server, magics):
    result = cell(tools_shell, "%%ygpt --tools get_sales\nHow did the north do?", cell_id="north")
    assert result.ok, result.message
    assert tools_shell.user_ns["calls"] == [("north", 5)]   # 5.0 from the service, an int here
    first, second = completions(tool_server)
    assert first.tools == [{"name": "get_sales", "description": "Sales rows of one region.",
                            "parameters": first.tools[0]["parameters"]}]
    assert first.tools[0]["parameters"]["required"] == ["region"]
    assert second.messages[1]["tool_calls"] == [{"name": "get_sales", "arguments": {"region": "north", "limit": 5.0}}]
    assert second.messages[2]["tool_results"] == [{"name": "get_sales", "content": "1204"}]
    assert "The north sold 1204 units." in result.final
    assert '🔧 get_sales(region="north", limit=5.0) → 1,204 · ' in result.plain_page
    assert "<details><summary>🔧 get_sales" in result.displays[0]["text/html"]
    reply = tools_shell.user_ns["_ygpt"]
    assert [(c.name, c.result) for c in reply.tool_calls] == [("get_sales", "1204")]
    assert_clean(result)

    # the next cell's history is what the API expects: the calls and results, then the answer
    cell(tools_shell, "%%ygpt\nThanks", cell_id="thanks")
    sent = completions(tool_server)[-1].messages
    assert [m.get("tool_calls") and "calls" or m.get("tool_results") and "results" or m["role"]
            for m in sent] == ["user", "calls", "results", "assistant", "user"]


def test_parallel_calls_run_in_order_and_go_back_in_one_message(tools_shell, tool_server):
    result = cell(tools_shell, "%%ygpt --tools get_sales\nCompare north and south")
    assert result.ok, result.message
    assert tools_shell.user_ns["calls"] == [("north", 10), ("south", 10)]
    assert completions(tool_server)[-1].messages[2]["tool_results"] == [
        {"name": "get_sales", "content": "1204"}, {"name": "get_sales", "content": "877"}]
    assert result.plain_page.count("🔧 get_sales") == 2


@pytest.mark.parametrize("choice", ["auto", "none", "required", "get_sales"])
def test_each_tool_choice_goes_to_the_server(tools_shell, tool_server, choice):
    tools_shell.run_line_magic("config", "YGptMagics.max_tool_rounds = 1")
    result = cell(tools_shell, f"%%ygpt --tools get_sales --tool-choice {choice}\nHow did the north do?")
    assert completions(tool_server)[0].tool_choice == choice
    if choice == "none":
        assert result.ok and tools_shell.user_ns["calls"] == []
    else:
        assert tools_shell.user_ns["calls"] == [("north", 5)]


def test_the_loop_stops_after_max_tool_rounds_and_the_chat_is_unchanged(tools_shell, tool_server, magics):
    tools_shell.run_line_magic("config", "YGptMagics.max_tool_rounds = 2")
    assert cell(tools_shell, "%%ygpt --once\nSay hi").ok
    result = cell(tools_shell, "%%ygpt --tools get_sales\nKeep looking")
    assert_clear_error(result, "2 rounds", "max_tool_rounds", "_ygpt.tool_calls holds the calls made",
                       error_type=ToolRoundsExceeded)
    assert len(tools_shell.user_ns["calls"]) == 2 and len(completions(tool_server)) == 4
    assert "default" not in magics.kernel.session.chats or not magics.kernel.session.chats["default"].turns
    # _ygpt is this cell's, not "Say hi"'s: the calls that ran, and the tokens of its 3 requests
    stopped = tools_shell.user_ns["_ygpt"]
    assert [(c.name, c.arguments, c.round) for c in stopped.tool_calls] == [
        ("get_sales", {"region": "north"}, 1), ("get_sales", {"region": "south"}, 2)]
    assert stopped.status == "TOOL_CALLS" and stopped.messages[-1]["text"] == "Keep looking"
    billed = magics.kernel.session.accounts.by_source["default"]
    assert (billed.requests, billed.usage) == (3, stopped.usage)


def test_only_the_named_functions_can_be_called(tools_shell, tool_server):
    tools_shell.user_ns["buy_boat"] = lambda **kwargs: pytest.fail("an undeclared function ran")
    result = cell(tools_shell, "%%ygpt --tools get_sales\nSell me a boat")
    assert result.ok, result.message
    [sent] = completions(tool_server)[-1].messages[2]["tool_results"]
    assert sent["name"] == "buy_boat" and "no tool named 'buy_boat'" in sent["content"]
    assert "get_sales" in sent["content"]
    assert "🔧 buy_boat(size=\"huge\") → error: there is no tool named" in result.plain_page


def test_arguments_that_do_not_validate_go_back_as_an_error(tools_shell, tool_server):
    result = cell(tools_shell, "%%ygpt --tools get_sales\nTop many sales")
    assert result.ok and tools_shell.user_ns["calls"] == []
    content = completions(tool_server)[-1].messages[2]["tool_results"][0]["content"]
    assert content.startswith("error: invalid arguments for get_sales: limit:")
    assert "→ error: invalid arguments" in result.plain_page


def test_a_tool_that_raises_answers_with_its_error(tools_shell, tool_server):
    result = cell(tools_shell, "%%ygpt --tools explode\nFail please")
    assert result.ok
    content = completions(tool_server)[-1].messages[2]["tool_results"][0]["content"]
    assert content == "error: ValueError: the sales database is offline"
    assert "→ error: ValueError: the sales database is offline" in result.plain_page
    assert "It said: error: ValueError" in result.final


def test_a_tool_error_whose_text_cannot_be_read_answers_with_its_type(tools_shell, tool_server):
    result = cell(tools_shell, "%%ygpt --tools explode_oddly\nFail oddly")
    assert result.ok, result.message
    assert completions(tool_server)[-1].messages[2]["tool_results"][0]["content"] == "error: OddError"
    assert "It said: error: OddError" in result.final


def test_ctrl_c_stops_a_tool_that_never_returns_and_keeps_what_was_shown(tools_shell, tool_server, magics):
    result = cell(tools_shell, "%%ygpt --tools hang\nWait forever")
    assert tools_shell.user_ns["_ygpt"].status == "INTERRUPTED"
    assert "🔧 hang() → interrupted" in result.plain_page and "interrupted" in result.final
    assert len(completions(tool_server)) == 1   # the results were never sent
    assert "default" not in magics.kernel.session.chats or not magics.kernel.session.chats["default"].turns


def test_a_50_mb_result_is_bounded_and_says_so(tools_shell, tool_server):
    tools_shell.run_line_magic("config", "YGptMagics.max_value_chars = 1000")
    result = cell(tools_shell, "%%ygpt --tools dump\nDump everything")
    assert result.ok, result.message
    content = completions(tool_server)[-1].messages[2]["tool_results"][0]["content"]
    assert content.startswith("x" * 1000) and len(content) < 1100
    assert "49,999,000 characters left out" in content


def test_a_result_holding_the_credential_is_never_sent(tools_shell, tool_server, magics):
    tools_shell.user_ns["leak"] = lambda: f"the key is {TEST_KEY}"
    result = cell(tools_shell, "%%ygpt --tools leak\nShow the key")
    message = assert_clear_error(result, "nothing was sent", "the result of leak", "api key",
                                 error_type=CredentialInPrompt)
    assert TEST_KEY not in message and TEST_KEY not in result.shown
    assert all(TEST_KEY not in json.dumps(r.messages) for r in tool_server.requests)
    assert "default" not in magics.kernel.session.chats or not magics.kernel.session.chats["default"].turns


def test_a_result_holding_the_credential_says_what_was_sent_and_to_change_the_function(tools_shell, tool_server):
    """The first round went out (and is billed) before the call: the message says so, and its
    fix is the function's, not a reference to leave out of the cell (tools3.md F12)."""
    tools_shell.user_ns["leak"] = lambda: {"headers": {"Authorization": f"Api-Key {TEST_KEY}"}}
    result = cell(tools_shell, "%%ygpt --tools leak\nShow the key")
    message = assert_clear_error(result, "The result of leak was not sent", "api key",
                                 "the request that asked for the call went out", "change the function",
                                 error_type=CredentialInPrompt)
    assert not message.startswith("Nothing was sent") and "leave that reference out" not in message
    assert len(completions(tool_server)) == 1 and TEST_KEY not in result.shown


def test_a_tool_choice_without_tools_is_refused_before_anything_is_sent(tools_shell, tool_server):
    result = cell(tools_shell, "%%ygpt --tool-choice required\nHow did the north do?")
    assert_clear_error(result, "--tool-choice required needs tools", "--tools f,g", error_type=ToolError)
    assert completions(tool_server) == []


@pytest.mark.parametrize("choice", ["required", "bogus"])
def test_a_chat_is_never_given_a_tool_choice_its_cells_would_be_refused_for(tools_shell, tool_server, magics,
                                                                           choice):
    before = magics.kernel.session.chats["default"].options
    result = cell(tools_shell, f"%ygpt config --tool-choice {choice}")
    assert_clear_error(result, f"--tool-choice {choice}", "--tools", error_type=ToolError)
    assert magics.kernel.session.chats["default"].options == before
    assert cell(tools_shell, "%%ygpt\nHi").ok
    assert cell(tools_shell, "%ygpt config --tools get_sales --tool-choice get_sales").ok
    refused = cell(tools_shell, "%ygpt config --tools default")    # the choice would be left without its tool
    assert_clear_error(refused, "needs tools", "--tool-choice default", error_type=ToolError)
    assert cell(tools_shell, "%ygpt config --tools default --tool-choice default").ok


def test_a_chat_keeps_its_tools_for_later_cells(tools_shell, tool_server, magics):
    tools_shell.run_line_magic("ygpt", "config --tools get_sales")
    result = cell(tools_shell, "%%ygpt\nHow did the north do?")
    assert result.ok and tools_shell.user_ns["calls"] == [("north", 5)]
    assert completions(tool_server)[0].tools[0]["name"] == "get_sales"
    tools_shell.run_line_magic("ygpt", "config --tools default")
    cell(tools_shell, "%%ygpt\nHow did the north do?", cell_id="again")
    assert completions(tool_server)[-1].tools == []


def test_history_save_load_and_export_keep_the_tool_calls(tools_shell, tool_server, magics, tmp_path):
    cell(tools_shell, "%%ygpt --tools get_sales\nHow did the north do?", cell_id="north")
    history = cell(tools_shell, "%ygpt history")
    assert '🔧 get_sales({"region": "north", "limit": 5.0})' in history.plain
    assert re.search(r"\[tool results\] \(In \[\d+\]\) get_sales → 1204", history.plain), history.plain
    path = tmp_path / "chats.json"
    tools_shell.run_line_magic("ygpt", f"save {path}")
    assert json.loads(path.read_text())["version"] == 2
    before = magics.kernel.session.chats["default"].messages()
    tools_shell.run_line_magic("ygpt", "reset --all")
    tools_shell.run_line_magic("ygpt", f"load {path}")
    assert magics.kernel.session.chats["default"].messages() == before
    exported = magics.kernel.session.export_markdown("default")
    assert "**tool results**" in exported and "get_sales → 1204" in exported  # bare: no emphasis in a word


def test_panel_sends_use_the_chats_tools_and_show_the_calls(tools_shell, tool_server, magics, widget_comm):

    tools_shell.run_line_magic("ygpt", "config --tools get_sales")
    panel = tools_shell.run_line_magic("ygpt", "panel")
    send(panel, "How did the north do?")
    assert panel.wait(15)
    assert tools_shell.user_ns["calls"] == [("north", 5)]
    [turn] = magics.kernel.session.chat().turns
    assert [call.name for call in turn.reply.tool_calls] == ["get_sales"]
    assert "🔧 get_sales" in bubbles(panel)[1][1] and "The north sold 1204 units." in bubbles(panel)[1][1]
    panel.close()


@pytest.mark.parametrize("mode", ["--no-stream", "--deferred"])
def test_the_loop_runs_unary_and_deferred_too(tools_shell, tool_server, mode):
    tool_server.operation_delay = 0.0
    result = cell(tools_shell, f"%%ygpt {mode} --tools get_sales\nHow did the north do?")
    assert result.ok, result.message
    assert tools_shell.user_ns["calls"] == [("north", 5)]
    assert "The north sold 1204 units." in result.final
    assert not any(r.stream for r in completions(tool_server))


def test_config_shows_the_chats_tools(tools_shell, magics):
    tools_shell.run_line_magic("ygpt", "config --tools get_sales,explode --tool-choice auto")
    shown = cell(tools_shell, "%ygpt config").plain
    assert "get_sales, explode" in shown and "auto" in shown
    assert magics.kernel.session.chat().options.tools == ("get_sales", "explode")
    refused = cell(tools_shell, "%ygpt config --tools nowhere")
    assert_clear_error(refused, "no variable named 'nowhere'", error_type=ToolError)
    assert magics.kernel.session.chat().options.tools == ("get_sales", "explode")


def test_the_reply_counts_the_tokens_of_every_round(tools_shell, tool_server):
    import warnings

    from ygpt_magic.emulator.testing import sdk_kwargs

    result = cell(tools_shell, "%%ygpt --once --no-stream --tools get_sales\nHow did the north do?")
    assert result.ok, result.message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from yandex_cloud_ml_sdk import YCloudML
    sdk = YCloudML(**sdk_kwargs(tool_server.address))
    declared = completions(tool_server)[0].tools[0]
    model = sdk.models.completions("yandexgpt").configure(tools=[sdk.tools.function(
        name=declared["name"], description=declared["description"], parameters=declared["parameters"])])
    question = [{"role": "user", "text": "How did the north do?"}]
    first = model.run(question)
    final = model.run([*question, first, {"tool_results": [{"name": "get_sales", "content": "1204"}]}])
    usage = tools_shell.user_ns["_ygpt"].usage
    assert usage.input_tokens == first.usage.input_text_tokens + final.usage.input_text_tokens
    assert usage.completion_tokens == first.usage.completion_tokens + final.usage.completion_tokens


def test_a_tool_calling_sys_exit_answers_with_its_error_and_the_cell_goes_on(tools_shell, tool_server):
    assert cell(tools_shell, "import sys\ndef run_script() -> str:\n"
                             "    '''Runs the nightly script (its main() ends with sys.exit).'''\n"
                             "    sys.exit(2)").ok
    result = cell(tools_shell, "%%ygpt --tools run_script\nRun the script")
    assert result.ok, result.message
    assert "⏳ running" not in result.final and "🔧 run_script() → error: SystemExit: 2" in result.plain_page
    assert completions(tool_server)[-1].messages[2]["tool_results"][0]["content"] == "error: SystemExit: 2"
    assert "It said: error: SystemExit: 2" in result.final
    assert_clean(result)


@pytest.mark.parametrize("choice", ["get_sales", "required"])
def test_a_forced_tool_choice_binds_the_first_round_and_the_cell_answers(tools_shell, tool_server, choice):
    result = cell(tools_shell, f"%%ygpt --tools get_sales --tool-choice {choice}\n"
                               "Tell me the sales numbers for the north region please")
    assert result.ok, result.message   # was: 5 calls, 6 requests, "use --tool-choice auto rather than required"
    assert tools_shell.user_ns["calls"] == [("north", 10)]
    assert [request.tool_choice for request in completions(tool_server)] == [choice, "auto"]
    assert "1204" in result.final


def test_a_chats_tool_that_is_gone_is_refused_saying_the_tools_are_the_chats(tools_shell, tool_server):
    """The cell has no --tools: a message about "--tools get_total" alone left the user looking for
    a flag that is not there."""
    assert cell(tools_shell, "def get_total(region: str) -> int:\n    '''Total units.'''\n    return 240").ok
    assert cell(tools_shell, "%ygpt config --tools get_total").ok
    assert cell(tools_shell, "del get_total").ok
    result = cell(tools_shell, "%%ygpt\nHow did the north do?")
    assert_clear_error(result, "no variable named 'get_total'",
                       "These tools are the chat's (chat 'default', set with %ygpt config --tools): ",
                       "%ygpt config --chat default --tools default removes them", error_type=ToolError)
    assert completions(tool_server) == []
    assert cell(tools_shell, "%ygpt config --chat default --tools default").ok   # the advice works
    assert cell(tools_shell, "%%ygpt\nHow did the north do?").ok
    own = cell(tools_shell, "%%ygpt --tools calls\nHow did the north do?")   # the cell's own: no word of the chat
    assert "not a function" in own.message and "chat" not in own.message
