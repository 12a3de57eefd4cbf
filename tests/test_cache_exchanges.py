"""The reply cache with tool exchanges, --schema answers and pictures, as a user meets it.

A tool exchange is cached request by request: on replay the notebook's functions run again, and
a round hits only when the results sent back are those it was recorded with. Every test runs
cells in the real shell against the local server (or with it stopped, or with an address where
nothing listens) and asserts what the user sees and what the server received.
"""

from __future__ import annotations

import base64
import json
import re

import pandas as pd
import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell, completions
from pictures import MODEL, pics, png_bytes  # noqa: F401 (pics: a fixture)
from test_cache import HAMLET, cache_file, restart  # noqa: F401 (cache_file: a fixture)
from test_panel import bubbles, send, widget_comm  # noqa: F401 (widget_comm: a fixture)
from test_secrets import API_KEY, leaks, use_env
from test_tools import FUNCTIONS, SCRIPT
from visible import visible

from ygpt_magic.emulator import start_local_server
from ygpt_magic.errors import CacheMiss

NORTH = "%%ygpt --tools get_sales\nHow did the north do?"
#: where nothing listens: a cell that reaches for a server here fails
NOWHERE = "127.0.0.1:9"
PERSON = ("from pydantic import BaseModel\n"
          "class Person(BaseModel):\n    name: str\n    age: int\n    city: str\n")


@pytest.fixture
def tool_script(tmp_path):
    script = tmp_path / "tools.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    return script


def answer(shell) -> str:
    return shell.user_ns["_ygpt"].text


@pytest.mark.usefixtures("fresh_names")
def test_a_tool_cell_replays_with_the_server_stopped_and_its_function_runs_again(shell, tool_script,
                                                                                  cache_file):
    with start_local_server(scripts=[tool_script], operation_delay=0.0) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, FUNCTIONS).ok
        sent = cell(shell, NORTH, cell_id="north")
        assert sent.ok, sent.message
        assert len(completions(server)) == 2  # the call, then the answer with its result
    assert answer(shell) == "The north sold 1204 units." and not shell.user_ns["_ygpt"].cached
    shell.user_ns["calls"].clear()
    for mode in ("auto", "replay"):  # the server is gone: every round comes from the file
        shell.run_line_magic("ygpt", f"cache --mode {mode}")
        replayed = cell(shell, NORTH, cell_id="north")  # re-run: the chat rewinds to before it
        assert replayed.ok, replayed.message
        assert_clean(replayed)
        reply = shell.user_ns["_ygpt"]
        assert reply.cached and reply.text == "The north sold 1204 units."
        assert "🔧 get_sales" in replayed.page and f"cached · recorded {reply.recorded[:10]}" in replayed.final
        # at once: the call's output and the reply's, each final in its first display
        assert [o["update"] for o in replayed.outputs] == [False, False]
        assert [call.result for call in reply.tool_calls] == ["1204"]
    assert shell.user_ns["calls"] == [("north", 5), ("north", 5)]  # the notebook's code ran each time
    assert "4 hits" in cell(shell, "%ygpt cache").plain  # two rounds, twice
    usage = cell(shell, "%ygpt usage").displays[0]["text/plain"].splitlines()
    header, default = re.split(r"\s{2,}", usage[1]), re.split(r"\s{2,}", usage[2])
    assert header[-2:] == ["replayed", "saved"] and default[0] == "default"
    assert int(default[-2].replace(",", "")) > 0, "the replayed rounds are counted apart"
    assert default[-1].startswith("≈") and default[-1].endswith("₽"), "with the roubles they saved"


@pytest.mark.usefixtures("fresh_names")
@pytest.mark.slow
def test_a_changed_tool_result_is_sent_in_auto_mode_and_a_miss_in_replay_mode(shell, tool_script, cache_file,
                                                                              magics):
    with start_local_server(scripts=[tool_script], operation_delay=0.0) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, FUNCTIONS).ok
        assert cell(shell, NORTH, cell_id="north").ok
        assert cell(shell, "def get_sales(region: str, limit: int = 10) -> int:\n"
                           "    '''Sales rows of one region.'''\n    return 999").ok
        server.reset()
        server.faults.latency(0.4)  # slower than loop.SLOW_AFTER: the waiting line shows
        changed = cell(shell, NORTH, cell_id="north")
        assert changed.ok and answer(shell) == "The north sold 999 units."
        assert not shell.user_ns["_ygpt"].cached
        assert "🔧 get_sales" in changed.page and changed.updates > 1  # the sent round streamed
        frames = [visible(o["data"].get("text/html", "")) for o in changed.outputs]
        assert frames[0].startswith("🔧 get_sales") and "waiting for" in frames[1], \
            "the replayed call's output, then a waiting line while the second round is sent"
        [request] = completions(server)  # the first round hit, only the second was sent
        assert request.messages[-1]["tool_results"][0]["content"] == "999"
        server.faults.clear()
        assert cell(shell, "def get_sales(region: str, limit: int = 10) -> int:\n"
                           "    '''Sales rows of one region.'''\n    return 555").ok
        shell.run_line_magic("ygpt", "cache --mode replay")
        before = list(magics.kernel.session.chats["default"].turns)
        server.reset()
        missed = cell(shell, NORTH, cell_id="north")
        assert_clear_error(missed, "No recorded reply for cell In [", "How did the north do?",
                           "replay mode", "nothing was sent", error_type=CacheMiss)
        assert completions(server) == []
        assert magics.kernel.session.chats["default"].turns == before


@pytest.mark.usefixtures("fresh_names")
def test_a_schema_cell_replays_into_ygpt_parsed(shell, ygpt_server, cache_file):
    assert cell(shell, PERSON).ok
    source = "%%ygpt --once --schema Person --out person\nAnna Petrova is 34 years old and lives in Berlin."
    assert cell(shell, source).ok and len(completions(ygpt_server)) == 1
    sent = shell.user_ns["person"]
    restart(shell, ygpt_server)
    ygpt_server.reset()
    replayed = cell(shell, source)
    assert replayed.ok and completions(ygpt_server) == []
    reply = shell.user_ns["_ygpt"]
    assert reply.cached and type(reply.parsed) is shell.user_ns["Person"]
    assert reply.parsed == sent and shell.user_ns["person"] is reply.parsed
    assert "<pre><code" in replayed.displays[-1]["text/html"]
    # another schema is another request
    assert cell(shell, PERSON.replace("city: str", "city: str\n    country: str = ''")).ok
    assert cell(shell, source).ok and len(completions(ygpt_server)) == 1


@pytest.mark.usefixtures("fresh_names")
def test_a_map_schema_run_resumes_from_the_cache_after_a_restart(shell, ygpt_server, cache_file):
    verdict = ("from pydantic import BaseModel\nfrom typing import Literal\nclass Verdict(BaseModel):\n"
               "    sentiment: Literal['positive', 'negative', 'mixed']\n    score: int\n")
    source = "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify: {text}"
    assert cell(shell, verdict).ok
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Loved it", "Hated it"]}, index=[3, 5])
    assert cell(shell, source).ok and len(completions(ygpt_server)) == 2
    first = shell.user_ns["verdicts"]
    restart(shell, ygpt_server)  # the kernel's memo is gone, the cache file is not
    ygpt_server.reset()
    assert cell(shell, verdict).ok
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Loved it", "Hated it", "So-so"]}, index=[3, 5, 8])
    run = cell(shell, source)
    assert run.ok, run.message
    assert [r.messages[-1]["text"] for r in completions(ygpt_server)] == ["Classify: So-so"]
    verdicts = shell.user_ns["verdicts"]
    assert verdicts.loc[[3, 5]].equals(first) and list(verdicts.columns) == ["sentiment", "score"]
    assert shell.user_ns["_ygpt"].reused == 2
    # the same rows without the schema are other requests
    ygpt_server.reset()
    assert cell(shell, "%%ygpt --map reviews --out plain\nClassify: {text}").ok
    assert len(completions(ygpt_server)) == 3


def test_a_picture_cell_replays_with_no_server_and_another_picture_misses(pics, ygpt_server, cache_file):
    pics.user_ns["png"] = png_bytes()
    source = f"%%ygpt --once --image png --model {MODEL}\nWhat colour is this?"
    sent = cell(pics, source)
    assert sent.ok, sent.message
    text = answer(pics)
    pics.run_line_magic("ygpt", f"connect {NOWHERE} --insecure")  # no server, no chat API
    ygpt_server.reset()
    replayed = cell(pics, source)
    assert replayed.ok, replayed.message
    assert answer(pics) == text and pics.user_ns["_ygpt"].cached and ygpt_server.requests == []
    pics.user_ns["png"] = png_bytes(color=(200, 30, 30))
    pics.run_line_magic("ygpt", "cache --mode replay")
    assert_clear_error(cell(pics, source), "No recorded reply", "What colour is this?", error_type=CacheMiss)
    pics.run_line_magic("ygpt", "cache --mode auto")
    pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}")
    again = cell(pics, source)
    assert again.ok and not pics.user_ns["_ygpt"].cached
    [request] = [r for r in ygpt_server.requests if r.images]
    assert len(request.images) == 1


@pytest.mark.usefixtures("fresh_names")
def test_the_cache_file_holds_no_credential_tool_result_or_picture_bytes(pics, ygpt_server, cache_file,
                                                                         monkeypatch):
    use_env(monkeypatch, "YC_API_KEY", API_KEY)
    restart(pics, ygpt_server)
    pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}")
    assert cell(pics, 'def lookup(region: str) -> str:\n    """A region\'s code."""\n'
                      '    return "N-17"').ok
    picture = pics.user_ns["png"] = png_bytes(color=(12, 34, 56))
    sources = ["%%ygpt --once --tools lookup\nWhat is the code of the north?",
               f"%%ygpt --once --image png --model {MODEL}\nWhat colour is this?"]
    replies = []
    for source in sources * 2:  # recorded, then replayed
        assert cell(pics, source).ok
        replies.append(pics.user_ns["_ygpt"])
    assert [reply.cached for reply in replies] == [False, False, True, True]
    assert replies[2].tool_calls[0].result == "N-17"
    files = sorted(cache_file.parent.glob("replies.sqlite*"))
    raw = b"".join(path.read_bytes() for path in files)
    assert raw and not leaks(raw)
    assert picture not in raw and base64.b64encode(picture) not in raw
    assert base64.b64encode(picture)[:40] not in raw


#: the key the first cache format gave HAMLET's request against a HOST:PORT server (computed by
#: ygpt_magic before tool exchanges were cached): a plain request must keep it
HAMLET_V1_KEY = "6d0220532afbecb9f7372467be951971c5726878a755beedd70d1e7dbb75b924"


def test_a_cache_recorded_before_tools_were_cached_still_replays(shell, ygpt_server, cache_file):
    from ygpt_magic.cache.store import Store

    store = Store(cache_file)
    store.put(HAMLET_V1_KEY, {"text": "Être ou ne pas être (recorded earlier).", "status": "FINAL",
                              "model_version": "23.10.2024", "tool_calls": [],
                              "usage": {"input_tokens": 20, "completion_tokens": 9,
                                        "reasoning_tokens": 0, "total_tokens": 29}})
    store.close()
    replayed = cell(shell, HAMLET)
    assert replayed.ok and completions(ygpt_server) == []
    assert answer(shell) == "Être ou ne pas être (recorded earlier)." and shell.user_ns["_ygpt"].cached


def test_a_saved_chat_keeps_which_turns_were_replayed_and_when_they_were_recorded(shell, ygpt_server,
                                                                                   cache_file, tmp_path,
                                                                                   magics):
    assert cell(shell, "%%ygpt\nHello there", cell_id="a").ok
    assert cell(shell, "%%ygpt\nHello there", cell_id="a").ok  # re-run: replayed
    assert cell(shell, "%%ygpt --no-cache\nAnd now?", cell_id="b").ok  # sent
    replayed, sent = (turn.reply for turn in magics.kernel.session.chats["default"].turns)
    assert replayed.cached and not sent.cached
    path = tmp_path / "chat.json"
    assert cell(shell, f"%ygpt save {path}").ok
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["version"] == 1  # nothing an older reader could misread
    first, second = (turn["reply"] for turn in saved["chats"][0]["turns"])
    assert (first["cached"], first["recorded"]) == (True, replayed.recorded) and "cached" not in second
    restart(shell, ygpt_server)
    assert cell(shell, f"%ygpt load {path}").ok
    loaded = shell.magics_manager.registry["YGptMagics"].kernel.session.chats["default"].turns
    assert [(t.reply.cached, t.reply.recorded) for t in loaded] == [(True, replayed.recorded), (False, "")]
    assert "No request has been answered" in cell(shell, "%ygpt usage").plain  # loading sends nothing
    for reply in (first, second):  # a file written before the flag: every turn was sent
        reply.pop("cached", None), reply.pop("recorded", None)
    path.write_text(json.dumps(saved), encoding="utf-8")
    assert cell(shell, f"%ygpt load {path}").ok
    loaded = shell.magics_manager.registry["YGptMagics"].kernel.session.chats["default"].turns
    assert [t.reply.cached for t in loaded] == [False, False]


@pytest.mark.usefixtures("fresh_names")
def test_a_dry_run_with_tools_replays_its_token_count(shell, ygpt_server, cache_file):
    assert cell(shell, FUNCTIONS).ok
    first = cell(shell, "%%ygpt --once --dry-run --tools get_sales\nHow did the north do?")
    assert first.ok, first.message
    ygpt_server.reset()
    again = cell(shell, "%%ygpt --once --dry-run --tools get_sales\nHow did the north do?")
    assert again.ok and again.plain == first.plain and ygpt_server.requests == []
    assert cell(shell, "%%ygpt --once --dry-run\nHow did the north do?").ok  # without: another count
    assert len(ygpt_server.requests) == 1


@pytest.mark.usefixtures("fresh_names", "widget_comm")
def test_a_panel_send_with_the_chats_tools_replays_round_by_round(shell, tool_script, cache_file, magics):
    with start_local_server(scripts=[tool_script], operation_delay=0.0) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, FUNCTIONS).ok
        shell.run_line_magic("ygpt", "config --tools get_sales")
        assert cell(shell, "%%ygpt\nHow did the north do?", cell_id="c1").ok
        shell.run_line_magic("ygpt", "reset")
        server.reset()
        panel = shell.run_line_magic("ygpt", "panel")
        try:
            send(panel, "How did the north do?")
            assert panel.wait(15)
            assert completions(server) == []  # both rounds recorded by the cell
            assert shell.user_ns["calls"] == [("north", 5), ("north", 5)]
            shown = bubbles(panel)[1][1]
            assert "🔧 get_sales" in shown and "The north sold 1204 units." in shown and "cached · recorded" in shown
            [turn] = magics.kernel.session.chat().turns
            assert turn.reply.cached and [c.result for c in turn.reply.tool_calls] == ["1204"]
        finally:
            panel.close()
