"""The reply cache, as a user meets it: replay what was recorded, record what was sent.

Every test runs cells in the real shell against the local server and asserts what the user sees
(the reply, its footer, `%ygpt usage`, `%ygpt cache`) and what the server received (nothing,
for a replayed cell).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell, completions
from IPython.utils.capture import capture_output

from ygpt_magic.chat.prices import roubles
from ygpt_magic.errors import CacheMiss, CacheUnusable, NotebookError

EINSTEIN = ["Hi! What fields of science did Albert Einstein study?",
            "What important discoveries did he make?", "Make it shorter"]
HAMLET = '%%ygpt --once --system "Translate the text into French"\nTo be, or not to be: that is the question.'


@pytest.fixture
def cache_file(shell, tmp_path):
    """A cache set the way a notebook sets it (kept by %config across a restart)."""
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(path)!r}")
    return path


def restart(shell, server) -> None:
    """What a kernel restart does to the extension: new chats, new client; the config stays."""
    shell.extension_manager.unload_extension("ygpt_magic")
    shell.extension_manager.load_extension("ygpt_magic")
    shell.run_line_magic("ygpt", f"connect {server.address} --insecure")


def test_a_recorded_reply_is_replayed_at_once_and_nothing_is_sent(shell, ygpt_server, cache_file):
    sent = cell(shell, HAMLET)
    assert sent.ok and len(completions(ygpt_server)) == 1
    replayed = cell(shell, HAMLET)
    assert replayed.ok and len(completions(ygpt_server)) == 1  # nothing more was sent
    assert_clean(replayed)
    assert "Être ou ne pas être : telle est la question." in replayed.final
    assert replayed.updates == 1  # the final form at once: no waiting line, no streaming
    reply = shell.user_ns["_ygpt"]
    assert reply.cached and sent.plain.startswith(f"{reply.text}\n\nyandexgpt · ")
    assert f"cached · recorded {reply.recorded[:10]}" in replayed.final
    assert " s</sub>" not in replayed.final  # no seconds: nothing was waited for
    assert reply.usage == shell.user_ns["_ygpt"].usage and reply.usage.total_tokens > 0
    assert "1 hit, 1 miss, 1 recorded" in cell(shell, "%ygpt cache").plain


def test_a_chat_rerun_from_the_top_after_a_restart_rebuilds_turn_by_turn(shell, ygpt_server, cache_file):
    magics = shell.magics_manager.registry["YGptMagics"]
    for index, prompt in enumerate(EINSTEIN):
        assert cell(shell, f"%%ygpt\n{prompt}", cell_id=f"c{index}").ok
    live = [turn.reply.text for turn in magics.kernel.session.chats["default"].turns]
    billed = magics.kernel.session.chats["default"].usage
    restart(shell, ygpt_server)
    ygpt_server.reset()
    magics = shell.magics_manager.registry["YGptMagics"]
    for index, prompt in enumerate(EINSTEIN):
        assert cell(shell, f"%%ygpt\n{prompt}", cell_id=f"c{index}").ok
    assert completions(ygpt_server) == []
    chat = magics.kernel.session.chats["default"]
    assert [turn.reply.text for turn in chat.turns] == live
    assert [turn.prompt for turn in chat.turns] == EINSTEIN
    usage = cell(shell, "%ygpt usage").displays[0]["text/plain"].splitlines()
    assert re.split(r"\s{2,}", usage[1]) == ["chat", "requests", "input", "completion", "reasoning",
                                            "total", "roubles", "replayed", "saved"]
    saved = roubles(Decimal("1.20") * billed.total_tokens / 1000)  # yandexgpt, synchronous
    assert re.split(r"\s{2,}", usage[2]) == ["default", "0", "0", "0", "0", "0", "0\u00a0₽",
                                            f"{billed.total_tokens:,}", saved]
    # a changed middle cell is a miss: sent with the replayed history, later cells follow it
    assert cell(shell, "%%ygpt\nWhat did he get the Nobel prize for?", cell_id="c1").ok
    [request] = completions(ygpt_server)
    assert request.messages[:2] == [{"role": "user", "text": EINSTEIN[0]},
                                    {"role": "assistant", "text": live[0]}]


def test_the_folder_is_not_part_of_the_key(shell, ygpt_server, cache_file, monkeypatch):
    assert cell(shell, "%%ygpt --once --model gpt://b1gfolderone/yandexgpt/latest\nHello").ok
    monkeypatch.setenv("YC_FOLDER_ID", "b1gfoldertwo")
    restart(shell, ygpt_server)
    for model in ("gpt://b1gfoldertwo/yandexgpt/latest", "yandexgpt", "yandexgpt/latest"):
        assert cell(shell, f"%%ygpt --once --model {model}\nHello").ok
        assert shell.user_ns["_ygpt"].cached, model
    assert len(completions(ygpt_server)) == 1
    for other in ("--model yandexgpt/rc", "--temperature 0.3", "--max-tokens 20", "--json"):
        assert cell(shell, f"%%ygpt --once {other}\nHello").ok
        assert not shell.user_ns["_ygpt"].cached, other
    assert len(completions(ygpt_server)) == 5


def numbered(text: str) -> int:
    """N of the first ``cell In [N]`` in ``text``."""
    found = re.search(r"cell In \[(\d+)\]", text)
    assert found, text
    return int(found.group(1))


def test_replay_mode_names_the_cell_without_a_recording_and_sends_nothing(shell, ygpt_server, cache_file):
    magics = shell.magics_manager.registry["YGptMagics"]
    assert cell(shell, "%%ygpt\n" + EINSTEIN[0], cell_id="a").ok
    assert cell(shell, "%ygpt cache --mode replay").ok
    before = list(magics.kernel.session.chats["default"].turns)
    ygpt_server.reset()
    missed = cell(shell, "%%ygpt\nA question nobody recorded\nover two lines", cell_id="b")
    message = assert_clear_error(missed, "no recorded reply", "cell In [", "A question nobody recorded",
                                 "replay mode", "nothing was sent", error_type=CacheMiss)
    assert "over two lines" not in message
    shown = shell.history_manager.input_hist_raw[numbered(message)]
    assert shown == missed.source, "In [N] must show the cell that missed"
    assert completions(ygpt_server) == [] and ygpt_server.requests == []
    assert magics.kernel.session.chats["default"].turns == before
    assert cell(shell, "%%ygpt --no-cache\nA question nobody recorded").ok  # the way out, explicit
    assert len(completions(ygpt_server)) == 1


def test_record_mode_always_sends_and_overwrites_off_and_no_cache_skip_it(shell, ygpt_server, cache_file):
    assert cell(shell, "%ygpt cache --mode record").ok
    for _ in range(2):
        assert cell(shell, HAMLET).ok and not shell.user_ns["_ygpt"].cached
    assert len(completions(ygpt_server)) == 2
    assert "1 entry" in cell(shell, "%ygpt cache").plain
    assert cell(shell, "%ygpt cache --mode off").ok
    assert cell(shell, "%%ygpt --once\nNot cached").ok
    assert cell(shell, "%ygpt cache --mode auto").ok
    assert cell(shell, "%%ygpt --once --no-cache\nNot cached either").ok
    assert cell(shell, HAMLET).ok and shell.user_ns["_ygpt"].cached
    assert len(completions(ygpt_server)) == 4
    assert "1 entry" in cell(shell, "%ygpt cache").plain


def test_cache_command_status_clear_and_bad_input(shell, ygpt_server, tmp_path):
    status = cell(shell, "%ygpt cache")
    assert status.ok and "none: replies are always sent" in status.plain
    # findings/advice.md, also noted: YGPT_CACHE is read when the extension loads, so it is
    # offered only for before the kernel starts; the command offered for now is the one used below
    plain = " ".join(status.plain.split())
    assert "Use %ygpt cache PATH (or YGPT_CACHE=PATH set before the kernel starts" in plain, plain
    path = tmp_path / "sub" / "c.sqlite"
    path.parent.mkdir()
    shown = cell(shell, f"%ygpt cache {path} --mode auto").plain
    assert str(path) in shown and "auto" in shown and "0 entries" not in shown  # what it set only
    assert "0 entries" in cell(shell, "%ygpt cache").plain
    assert cell(shell, HAMLET).ok and cell(shell, "%%ygpt --once --dry-run\nCount me").ok
    assert "2 entries" in cell(shell, "%ygpt cache").plain  # a reply and a token count
    assert "0 entries" in cell(shell, "%ygpt cache clear --older-than 1d").plain
    assert "2 entries" in cell(shell, "%ygpt cache clear").plain
    assert "0 entries" in cell(shell, "%ygpt cache").plain
    assert_clear_error(cell(shell, "%ygpt cache clear --older-than soon"), "30m, 12h, 7d")
    assert_clear_error(cell(shell, "%ygpt cache --older-than 1d"), "goes with clear")
    assert cell(shell, HAMLET).ok
    for age in ("99999999999d", "300000w", "999999999999999999999999h"):  # OverflowError tracebacks
        assert_clear_error(cell(shell, f"%ygpt cache clear --older-than {age}"),
                           f"--older-than {age}", "before the year 1", "without --older-than")
    assert "1 entry" in cell(shell, "%ygpt cache").plain
    assert_clear_error(cell(shell, "%ygpt cache --mode sometimes"), "invalid choice")
    refused = cell(shell, "%config YGptMagics.cache_mode = 'sometimes'")
    assert "must be one of auto, replay, record, off" in refused.shown
    assert shell.magics_manager.registry["YGptMagics"].cache_mode == "auto"


def test_environment_turns_it_on(ipython, ygpt_server, clean_env, tmp_path):
    path = tmp_path / "env.sqlite"
    clean_env.setenv("YGPT_CACHE", str(path))
    clean_env.setenv("YGPT_CACHE_MODE", "replay")
    ipython.config.pop("YGptMagics", None)
    ipython.extension_manager.load_extension("ygpt_magic")
    try:
        ipython.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
        shown = cell(ipython, "%ygpt cache").plain
        assert str(path) in shown and "replay" in shown
        refused = cell(ipython, "%%ygpt --once\nHi")  # replay mode: the file must exist
        assert isinstance(refused.typed_error, CacheUnusable) and "no such file" in refused.message
        assert ygpt_server.requests == [] and not path.exists()
    finally:
        ipython.extension_manager.unload_extension("ygpt_magic")


def test_a_mistyped_mode_in_the_environment_sends_nothing_unrecorded(ipython, ygpt_server, clean_env, tmp_path):
    clean_env.setenv("YGPT_CACHE", str(tmp_path / "env.sqlite"))
    clean_env.setenv("YGPT_CACHE_MODE", "replya")
    ipython.config.pop("YGptMagics", None)
    loaded = cell(ipython, "%load_ext ygpt_magic")
    try:
        assert loaded.ok and "YGPT_CACHE_MODE='replya' is not one of auto, replay, record, off" in loaded.stderr
        ipython.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
        assert isinstance(cell(ipython, "%%ygpt --once\nHi").typed_error, CacheUnusable)  # replay
        assert ygpt_server.requests == []
    finally:
        ipython.extension_manager.unload_extension("ygpt_magic")


def test_dry_run_token_counts_are_replayed_too(shell, ygpt_server, cache_file):
    first = cell(shell, "%%ygpt --once --dry-run\nHow many tokens am I?")
    ygpt_server.reset()
    again = cell(shell, "%%ygpt --once --dry-run\nHow many tokens am I?")
    assert again.ok and again.plain == first.plain and ygpt_server.requests == []


def test_a_map_dry_run_replays_its_token_counts_with_no_server(shell, ygpt_server, cache_file):
    shell.user_ns["reviews"] = ["The kettle works.", "The box arrived crushed."]
    first = cell(shell, "%%ygpt --map reviews --dry-run\nReply to: {item}")
    assert first.ok, first.message
    shell.run_line_magic("ygpt", "connect 127.0.0.1:9 --insecure")  # nobody listens there
    shell.run_line_magic("ygpt", "cache --mode replay")
    ygpt_server.reset()
    again = cell(shell, "%%ygpt --map reviews --dry-run\nReply to: {item}")
    assert again.ok, again.message
    assert again.plain == first.plain and ygpt_server.requests == []


def test_each_reply_carries_its_provenance_in_the_output_metadata(shell, ygpt_server, cache_file, tmp_path):
    source = "%%ygpt --once --temperature 0.2 --model gpt://b1gsomefolder/yandexgpt/latest\nHello"
    outputs = []
    for _ in range(2):
        with capture_output() as captured:
            shell.run_cell(source, store_history=True)
        outputs.append(captured.outputs[-1])
    live, replayed = (output.metadata["ygpt"] for output in outputs)
    assert live["model"] == "yandexgpt/latest" and live["model_version"] == "local server · unscripted"
    assert live["options"]["temperature"] == 0.2 and live["cached"] is False
    assert live["usage"]["completion_tokens"] > 0 and live["status"] == "FINAL"
    assert replayed["cached"] is True and replayed["recorded"][:2] == "20"
    assert replayed["usage"] == live["usage"]
    assert "b1gsomefolder" not in json.dumps([live, replayed])
    listed = cell(shell, "%ygpt provenance").plain
    assert "yandexgpt/latest" in listed and "temperature=0.2" in listed and "yes, recorded" in listed
    shown = shell.history_manager.input_hist_raw[numbered(listed)]
    assert shown == source, "In [N] must show the cell that was answered"
    # the same table from a saved notebook (what Jupyter writes: the output's metadata)
    notebook = {"cells": [{"cell_type": "code", "execution_count": 3, "source": source,
                           "outputs": [{"output_type": "display_data", "data": output.data,
                                        "metadata": output.metadata} for output in outputs]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    saved = tmp_path / "saved.ipynb"
    saved.write_text(json.dumps(notebook), encoding="utf-8")
    table = cell(shell, f"%ygpt provenance {saved}").plain
    assert "cell 1 (In [3])" in table and table.count("yandexgpt/latest") == 2
    assert_clear_error(cell(shell, f"%ygpt provenance {tmp_path / 'missing.ipynb'}"),
                       "Could not read the notebook", "no such file")


def _notebook(*outputs: object) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "outputs": list(outputs)}]}).encode()


def _written(data):
    """A maker of a notebook file holding ``data()`` (made only when the test runs)."""
    def make(path: Path) -> str:
        path.write_bytes(data())
        return str(path)
    return make


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return str(path)


HOSTILE_NOTEBOOKS = {
    "odd-provenance": (_written(lambda: _notebook({"metadata": {"ygpt": {"options": "x", "usage": 5}}})),
                       "an output of cell 1 has metadata of an unknown shape"),
    "metadata-a-list": (_written(lambda: _notebook({"metadata": ["ygpt"]})), "unknown shape"),
    "cells-of-text": (_written(lambda: b'{"cells": ["print(1)"]}'), "'cells' of the notebook is not a list"),
    "deep-json": (_written(lambda: b"[" * 200_000 + b"]" * 200_000), "nested too deeply"),
    "huge": (_written(lambda: _notebook() + b" " * 65 * 1024 * 1024), "64 MB limit"),
    "dev-zero": (lambda path: "/dev/zero", "is a device, not a regular file"),
    "fifo": (_fifo, "is a named pipe (FIFO), not a regular file"),
}


def test_provenance_groups_big_counts_by_thousands_and_shows_odd_ones_as_written(shell, tmp_path):
    """A long chat's request runs to tens of thousands of tokens: grouped as %ygpt usage shows
    them; a count a hand-edited notebook made a string is shown, not a traceback."""
    record = {"model": "yandexgpt", "usage": {"input_tokens": 31691, "completion_tokens": "many"}}
    path = tmp_path / "long.ipynb"
    path.write_bytes(_notebook({"output_type": "display_data", "data": {}, "metadata": {"ygpt": record}}))
    table = cell(shell, f"%ygpt provenance {path}").plain
    assert "31,691 → many" in table, table


@pytest.mark.parametrize("kind", HOSTILE_NOTEBOOKS)
def test_provenance_refuses_a_hostile_notebook_with_a_paragraph(shell, tmp_path, kind):
    make, words = HOSTILE_NOTEBOOKS[kind]
    path = make(tmp_path / "their.ipynb")
    message = assert_clear_error(cell(shell, f"%ygpt provenance {path}"), "Could not read the notebook", words,
                                 error_type=NotebookError)
    assert "chat file" not in message


def test_the_file_holds_no_prompt_folder_or_header(shell, ygpt_server, cache_file):
    assert cell(shell, HAMLET.replace("--once", "--once --model gpt://b1gsecretfolder/yandexgpt/latest")).ok
    db = sqlite3.connect(cache_file)
    rows = db.execute("SELECT key, value FROM entries").fetchall()
    db.close()
    assert len(rows) == 1 and len(rows[0][0]) == 64  # a SHA-256, not the request
    value = json.loads(rows[0][1])
    assert set(value) == {"text", "status", "usage", "model_version", "tool_calls", "parts"}
    parts = value["parts"]   # what a replay-mode miss compares: the kind, and digests of the rest
    assert parts.pop("kind") == "reply" and all(re.fullmatch("[0-9a-f]{16}", p) for p in parts.values())
    raw = b"".join(p.read_bytes() for p in cache_file.parent.glob("replies.sqlite*"))
    assert "Être ou ne pas être".encode() in raw  # the reply is there, the prompt is not
    for absent in (b"b1gsecretfolder", b"To be, or not", b"Translate the", b"Api-Key", b"authorization"):
        assert absent not in raw


@pytest.mark.usefixtures("fresh_names")
def test_ygpt_fix_is_replayed_too(shell, ygpt_server, cache_file):
    cell(shell, "def halve(x):\n    return x / 0")
    cell(shell, "halve(4)")
    first = cell(shell, "%ygpt fix")
    again = cell(shell, "%ygpt fix")
    assert first.ok and again.ok and shell.user_ns["_ygpt"].cached
    assert len(completions(ygpt_server)) == 1
    assert "cached · recorded" in again.final


def test_a_replay_miss_says_what_the_cache_holds_and_what_the_nearest_recording_differs_in(
        shell, ygpt_server, cache_file):
    """CI's usual misses read apart: an empty cache (another path, never recorded into), a cell
    whose text changed, one whose model, flags or earlier turn changed."""
    assert cell(shell, "%%ygpt --once\nHello").ok and cell(shell, "%ygpt cache clear").ok
    assert cell(shell, "%ygpt cache --mode replay").ok
    empty = assert_clear_error(cell(shell, "%%ygpt --once\nHello"), "The cache is empty (0 recordings)",
                               "not the file that was", "check the path", error_type=CacheMiss)
    # findings/advice.md, also noted: the variables do nothing in a running kernel, so they are
    # offered only for before it starts; the command it names first records (below)
    assert "with %ygpt cache --mode auto (or YGPT_CACHE_MODE=auto set before the kernel starts" in empty, empty
    assert "check the path %ygpt cache shows" in empty, empty
    assert cell(shell, "%ygpt cache --mode auto").ok
    assert cell(shell, "%%ygpt --once\nHello").ok and cell(shell, "%%ygpt --once\nGoodbye").ok
    assert cell(shell, "%ygpt cache --mode replay").ok and cell(shell, "%%ygpt --chat c\nGoodbye").ok
    ygpt_server.reset()

    def missed(source: str) -> str:
        return assert_clear_error(cell(shell, source), "no recorded reply", "nothing was sent",
                                  "commit the file", error_type=CacheMiss)
    assert "The cache holds 2 recordings, none of this text: the cell" in missed("%%ygpt --once\nHello there")
    assert "holds 2 recordings; the nearest, of this same text, differs in the model." in missed(
        "%%ygpt --once -m yandexgpt-lite\nHello")
    assert "differs in the flags (temperature" in missed("%%ygpt --once --temperature 0.3\nHello")
    assert "differs in an earlier turn of its chat." in missed("%%ygpt --chat c\nHello")
    assert ygpt_server.requests == []


@contextmanager
def kernel(ipython):
    """A fresh kernel's ygpt_magic (loaded with the environment as it is now), unloaded after."""
    ipython.config.pop("YGptMagics", None)
    ipython.extension_manager.load_extension("ygpt_magic")
    try:
        yield ipython.magics_manager.registry["YGptMagics"]
    finally:
        ipython.extension_manager.unload_extension("ygpt_magic")


@pytest.mark.usefixtures("fresh_names")
def test_a_cache_recorded_against_the_local_server_replays_in_ci_with_the_same_endpoint(
        ipython, clean_env, tmp_path):
    """guide/reproducible.md's CI recipe, step 1 with YGPT_ENDPOINT=local: CI replays with the same
    YGPT_ENDPOINT, no credential and no server started; without it, the miss names the server
    the cache was recorded against and how to replay against it (recording again would not help)."""
    for name in ("YC_API_KEY", "YC_FOLDER_ID"):
        clean_env.delenv(name)
    clean_env.setenv("YGPT_CACHE", str(tmp_path / "replies.sqlite"))
    clean_env.setenv("YGPT_ENDPOINT", "local")
    prompt = "%%ygpt --once\nErors wont corrct themselfs"
    with kernel(ipython):
        assert cell(ipython, prompt).ok
    clean_env.setenv("YGPT_CACHE_MODE", "replay")
    clean_env.delenv("YGPT_ENDPOINT")
    with kernel(ipython):
        message = assert_clear_error(cell(ipython, prompt), "differs in the server",
                                     "recorded against the local server", "replays against Yandex Cloud",
                                     "YGPT_ENDPOINT=local (or %ygpt connect local)", error_type=CacheMiss)
    assert "Record the cache" not in message
    clean_env.setenv("YGPT_ENDPOINT", "local")
    with kernel(ipython) as magics:
        replayed = cell(ipython, prompt)
        assert replayed.ok and ipython.user_ns["_ygpt"].cached, replayed.message
        assert magics.kernel.connection._server is None   # a replay sends nothing: no server started
